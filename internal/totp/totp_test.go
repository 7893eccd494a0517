package totp_test

import (
	"encoding/base32"
	"net/url"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/totp"
)

// RFC 6238 Appendix B, SHA-1 column, last 6 of the 8 digits.
func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	cases := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tc := range cases {
		got, err := totp.Code(secret, totp.Step(time.Unix(tc.unix, 0)))
		if err != nil || got != tc.want {
			t.Errorf("T=%d: %q %v, want %q", tc.unix, got, err, tc.want)
		}
	}
}

func TestMatchWindow(t *testing.T) {
	secret := totp.NewSecret()
	if len(secret) != 32 {
		t.Fatalf("secret %q: want 32 base32 characters", secret)
	}
	now := time.Date(2026, 12, 7, 10, 0, 15, 0, time.UTC)
	cur := totp.Step(now)
	for _, tc := range []struct {
		step int64
		ok   bool
	}{{cur - 2, false}, {cur - 1, true}, {cur, true}, {cur + 1, true}, {cur + 2, false}} {
		code, _ := totp.Code(secret, tc.step)
		step, ok := totp.Match(secret, code, now)
		if ok != tc.ok || (ok && step != tc.step) {
			t.Errorf("step %+d: got (%d, %v), want ok=%v", tc.step-cur, step-cur, ok, tc.ok)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "      "} {
		if _, ok := totp.Match(secret, bad, now); ok {
			t.Errorf("code %q matched", bad)
		}
	}
	if _, ok := totp.Match("not base32!", "123456", now); ok {
		t.Error("a broken secret matched")
	}
	if _, err := totp.Code("0189", 1); err == nil {
		t.Error("Code accepted a secret that is not base32")
	}
}

func TestURI(t *testing.T) {
	u, err := url.Parse(totp.URI("JBSWY3DPEHPK3PXP", "alice+x@example.org", "My Site"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/My Site:alice+x@example.org" ||
		u.Query().Get("secret") != "JBSWY3DPEHPK3PXP" || u.Query().Get("issuer") != "My Site" {
		t.Errorf("URI: %s", u)
	}
}
