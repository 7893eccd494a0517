package telegram

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseStart(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok, err    bool
		want       string // the invited chat's stored value
	}{
		{"private /start", `{"message": {"chat": {"id": 123, "type": "private", "username": "alice"}, "text": "/start"}}`, true, false,
			`{"id":123,"type":"private","name":"alice","thread_id":null}`},
		{"group with a title and a topic", `{"message": {"chat": {"id": -100, "type": "supergroup", "title": "Ops <b>"}, "text": "/start@ExampleBot", "message_thread_id": 7}}`, true, false,
			`{"id":-100,"type":"supergroup","name":"Ops \u003cb\u003e","thread_id":7}`},
		{"channel post", `{"channel_post": {"chat": {"id": -5, "type": "channel", "title": "News"}, "text": "/start"}}`, true, false,
			`{"id":-5,"type":"channel","name":"News","thread_id":null}`},
		{"other text", `{"message": {"chat": {"id": 1, "type": "private"}, "text": "hello"}}`, false, false, ""},
		{"no text (a photo)", `{"message": {"chat": {"id": 1, "type": "private"}}}`, false, false, ""},
		{"unknown chat type", `{"message": {"chat": {"id": 1, "type": "bot"}, "text": "/start"}}`, false, false, ""},
		{"id as a string", `{"message": {"chat": {"id": "1", "type": "private"}, "text": "/start"}}`, false, false, ""},
		{"not an update", `[1, 2]`, false, false, ""},
		{"empty object", `{}`, false, false, ""},
		{"not JSON", `{"message": `, false, true, ""},
		{"binary", "\x00\xff", false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := ParseStart([]byte(tc.body))
			if ok != tc.ok || (err != nil) != tc.err {
				t.Fatalf("ok %v err %v; want ok %v, error %v", ok, err, tc.ok, tc.err)
			}
			if ok && c.Value() != tc.want {
				t.Errorf("chat %s, want %s", c.Value(), tc.want)
			}
		})
	}
}

func FuzzParseStart(f *testing.F) {
	f.Add([]byte(`{"message": {"chat": {"id": 123, "type": "private"}, "text": "/start"}}`))
	f.Add([]byte(`{"channel_post": null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, ok, err := ParseStart(body)
		if ok && err != nil {
			t.Fatal("ok with an error")
		}
		if ok {
			if _, err := ParseConfig(c.Value()); err != nil {
				t.Fatalf("an invited chat does not make a valid value: %v", err)
			}
		}
	})
}

func TestInviteSignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	name := "Ops"
	c := Config{ID: -42, Name: &name}
	signed, err := SignInvite("secret", c, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(signed, "{}\"&=?# ") {
		t.Errorf("the link's query %q needs escaping", signed)
	}
	got, err := ReadInvite("secret", signed, now.Add(9*time.Minute))
	if err != nil || got.Value() != c.Value() {
		t.Fatalf("ReadInvite = %s, %v", got.Value(), err)
	}
	for name, tc := range map[string]struct {
		secret, signed string
		at             time.Time
	}{
		"expired":      {"secret", signed, now.Add(11 * time.Minute)},
		"other key":    {"other", signed, now},
		"tampered":     {"secret", "x" + signed, now},
		"empty":        {"secret", "", now},
		"from future":  {"secret", signed, now.Add(-5 * time.Minute)},
		"no signature": {"secret", strings.Split(signed, ":")[0], now},
	} {
		if _, err := ReadInvite(tc.secret, tc.signed, tc.at); !errors.Is(err, ErrBadInvite) {
			t.Errorf("%s: %v, want ErrBadInvite", name, err)
		}
	}
	if text := InviteText("Over<due>", "https://x.example/a?b&c"); !strings.Contains(text, `href="https://x.example/a?b&amp;c"`) || !strings.Contains(text, "Over&lt;due&gt;") {
		t.Errorf("invite text not escaped: %s", text)
	}
}
