package matrix

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const room = "!OGEhHVWSdvArJzumhm:matrix.org"

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(string) string { return room },
		Transport: func(base string, c *notify.Client) notify.Transport {
			return &Transport{Client: c, Homeserver: base + "/", Token: "syt_secret"}
		},
		Env: map[string]string{"MATRIX_ACCESS_TOKEN": "syt_secret", "MATRIX_HOMESERVER": "https://matrix.example.org"},
		// The room is quoted as upstream's quote() does; the transaction id
		// is the notification's UUID.
		Method: "PUT", URI: "/_matrix/client/v3/rooms/%21OGEhHVWSdvArJzumhm%3Amatrix.org/send/m.room.message/9c2b0a5e-3f4d-4e6a-8b7c-1d2e3f4a5b6c",
		Header:  map[string]string{"Authorization": "Bearer syt_secret"},
		Disable: map[string]string{"MATRIX_ACCESS_TOKEN": "syt_secret"},
	}.Run(t)
}

func TestFromForm(t *testing.T) {
	in := Integration()
	for _, c := range []struct{ in, value, err string }{
		{" " + room + " ", room, ""},
		{"!abcdef", "!abcdef", ""}, // room version 12 IDs have no server part
		{"", "", "alias: is required"},
		{"#ops:matrix.org", "", "alias: must be the room's ID"},
		{"ops", "", "alias: must be a room ID"},
		{"!", "", "alias: must be a room ID"},
		{"!a b:x", "", "alias: must be a room ID"},
		{"!" + strings.Repeat("é", 100), "", "alias: must be a room ID"},
	} {
		v, err := in.FromForm(url.Values{"alias": {c.in}})
		var fe *notify.FieldError
		switch {
		case c.err != "" && (!errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("FromForm(%q) = %q, %v; want error %q", c.in, v, err, c.err)
		case c.err == "" && (err != nil || v != c.value):
			t.Errorf("FromForm(%q) = %q, %v; want %q", c.in, v, err, c.value)
		}
	}
}

func TestPlainBody(t *testing.T) {
	plain, _ := Render(notifytest.Message("up"))
	if plain != "Daily Backup is now UP. The downtime lasted 1 hour, 30 minutes." {
		t.Errorf("plain %q", plain)
	}
	plain, _ = Render(notifytest.Message("down"))
	if plain != "Daily Backup is DOWN (success signal did not arrive on time, grace time passed)." {
		t.Errorf("plain %q", plain)
	}
}

// The HTML body escapes every tag of the user's; the plain body is plain
// text, shown as is.
func TestHostileHTML(t *testing.T) {
	plain, html := Render(notifytest.Cases()[5].Msg)
	for _, bad := range []string{"<b>x", "</pre><script>", "<t>", "<!channel>", "<@U123>"} {
		if strings.Contains(html, bad) {
			t.Errorf("%q in the HTML body", bad)
		}
	}
	if !strings.HasPrefix(plain, notifytest.Hostile+" is DOWN") {
		t.Errorf("plain %q", plain)
	}
}
