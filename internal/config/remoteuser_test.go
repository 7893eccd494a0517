package config

import (
	"strings"
	"testing"
)

func TestRemoteUserHeader(t *testing.T) {
	for _, tc := range []struct {
		v, want string
	}{
		{"", ""},
		{"HTTP_X_AUTHENTICATED_USER", "HTTP_X_AUTHENTICATED_USER"},
		{" X-Remote-User ", "X-Remote-User"},
	} {
		c, err := load(envOf(map[string]string{"REMOTE_USER_HEADER": tc.v}), noFiles)
		if err != nil || c.RemoteUserHeader != tc.want {
			t.Errorf("REMOTE_USER_HEADER=%q: %q %v, want %q", tc.v, c.RemoteUserHeader, err, tc.want)
		}
	}
	if c, _ := load(envOf(map[string]string{}), noFiles); c.RemoteUserHeader != "" {
		t.Errorf("default: %q, want off", c.RemoteUserHeader)
	}
	for _, bad := range []string{"X-User: evil", "X User", "X\nUser", "é", strings.Repeat("X", 101)} {
		_, err := load(envOf(map[string]string{"REMOTE_USER_HEADER": bad}), noFiles)
		if err == nil || !strings.HasPrefix(err.Error(), "REMOTE_USER_HEADER must be a header name") {
			t.Errorf("REMOTE_USER_HEADER=%q: %v", bad, err)
		}
	}
}
