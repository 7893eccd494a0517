package notify

import "testing"

// The expected strings are what CPython's bytes.decode(errors="replace")
// returns for the same bytes.
func TestDecodeUTF8LikePython(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii":     "plain ascii",
		"glāžšķūņu":       "glāžšķūņu",
		"a\xe2\x82b\xffc": "a\uFFFDb\uFFFDc",
		"\xf0\x9f\x98 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80": "\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD\uFFFD",
		"end\xe2\x82":      "end\uFFFD",
		"\xe0\x80\x80":     "\uFFFD\uFFFD\uFFFD",
		"\xf0\x9f\x98\x80": "😀",
	} {
		if got := DecodeUTF8([]byte(in)); got != want {
			t.Errorf("DecodeUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}
