package config

import (
	"strings"
	"testing"
)

// The operator settings: METRICS_TOKEN, METRICS_LISTEN and LOG_FORMAT,
// valid values and the one-sentence error for each malformed one.
func TestOperatorSettings(t *testing.T) {
	const tokenErr = "METRICS_TOKEN may contain only letters, digits and - . _ ~ + / (then = signs), as a bearer token; generate one with `openssl rand -hex 32`"
	const listenErr = "METRICS_LISTEN must be host:port, such as 127.0.0.1:9090 or :9090, not "
	cases := []struct {
		env  map[string]string
		want func(c Config) bool
		err  string // a prefix of the error; "" for success
	}{
		{nil, func(c Config) bool { return c.MetricsToken == "" && c.MetricsListen == "" && c.LogFormat == "text" }, ""},
		{map[string]string{"METRICS_TOKEN": "0123456789abcdef"}, func(c Config) bool { return c.MetricsToken == "0123456789abcdef" }, ""},
		{map[string]string{"METRICS_TOKEN": "abc-._~+/ABCDEF012=="}, func(c Config) bool { return c.MetricsToken == "abc-._~+/ABCDEF012==" }, ""},
		{map[string]string{"METRICS_TOKEN": ""}, func(c Config) bool { return c.MetricsToken == "" }, ""},
		{map[string]string{"METRICS_TOKEN": "short"}, nil, "METRICS_TOKEN must be at least 16 characters long, not 5"},
		{map[string]string{"METRICS_TOKEN": " 0123456789abcdef"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "0123456789abcdef\n"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "0123456789 abcdef"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "0123456789abcdéf"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "================"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "0123456789=abcdef"}, nil, tokenErr},
		{map[string]string{"METRICS_TOKEN": "0123456789abcdef\x00"}, nil, tokenErr},
		{map[string]string{"METRICS_LISTEN": "127.0.0.1:9090"}, func(c Config) bool { return c.MetricsListen == "127.0.0.1:9090" }, ""},
		{map[string]string{"METRICS_LISTEN": ":9090"}, func(c Config) bool { return c.MetricsListen == ":9090" }, ""},
		{map[string]string{"METRICS_LISTEN": "[::1]:0"}, func(c Config) bool { return c.MetricsListen == "[::1]:0" }, ""},
		{map[string]string{"METRICS_LISTEN": "9090"}, nil, listenErr + `"9090"`},
		{map[string]string{"METRICS_LISTEN": "localhost:http"}, nil, listenErr + `"localhost:http"`},
		{map[string]string{"METRICS_LISTEN": "localhost:65536"}, nil, listenErr},
		{map[string]string{"METRICS_LISTEN": "localhost:-1"}, nil, listenErr},
		{map[string]string{"METRICS_LISTEN": "localhost:09090"}, nil, listenErr},
		{map[string]string{"METRICS_LISTEN": "http://localhost:9090"}, nil, listenErr},
		{map[string]string{"METRICS_LISTEN": "::1:9090"}, nil, listenErr},
		{map[string]string{"LOG_FORMAT": "json"}, func(c Config) bool { return c.LogFormat == "json" }, ""},
		{map[string]string{"LOG_FORMAT": ""}, func(c Config) bool { return c.LogFormat == "text" }, ""},
		{map[string]string{"LOG_FORMAT": "JSON"}, nil, `LOG_FORMAT must be text or json, not "JSON"`},
		{map[string]string{"LOG_FORMAT": "logfmt"}, nil, `LOG_FORMAT must be text or json, not "logfmt"`},
	}
	for _, tc := range cases {
		c, err := load(envOf(tc.env), noFiles)
		switch {
		case tc.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %s...", tc.env, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.env, err)
		case !tc.want(c):
			t.Errorf("%q: token %q listen %q format %q", tc.env, c.MetricsToken, c.MetricsListen, c.LogFormat)
		}
	}
}

// METRICS_TOKEN_FILE, for Docker and systemd secrets, as the other
// secrets' _FILE forms.
func TestMetricsTokenFile(t *testing.T) {
	files := func(string) ([]byte, error) { return []byte("0123456789abcdef0123\n"), nil }
	c, err := load(envOf(map[string]string{"METRICS_TOKEN_FILE": "/run/secrets/metrics"}), files)
	if err != nil || c.MetricsToken != "0123456789abcdef0123" {
		t.Errorf("%q %v", c.MetricsToken, err)
	}
}
