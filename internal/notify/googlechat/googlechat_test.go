package googlechat

import (
	"testing"

	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return base + "/v1/spaces/AAAA/messages?key=k&token=t" },
		Method:      "POST", URI: "/v1/spaces/AAAA/messages?key=k&token=t",
		Forbidden: []string{"<b>x</b>", "<!channel>", "<@U123>", "<t>"},
	}.Run(t)
}
