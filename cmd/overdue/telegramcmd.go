package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/telegram"
)

// telegramBotPath is where the web UI answers Telegram's updates
// (upstream's hc-telegram-webhook), under SITE_ROOT.
const telegramBotPath = "/integrations/telegram/bot/"

// telegramUpdates are the updates the bot asks for, upstream's: private
// and group messages (/start) and channel posts.
var telegramUpdates = []string{"message", "channel_post"}

// cmdSetTelegramWebhook is upstream's `manage.py settelegramwebhook`: it
// tells Telegram (Bot API setWebhook) to deliver the bot's updates to
// SITE_ROOT's bot path, so that users who send /start to the bot get the
// link that adds the integration.
func cmdSetTelegramWebhook(ctx context.Context, args []string, e env) int {
	return setTelegramWebhook(ctx, args, e, telegram.API)
}

// setTelegramWebhook is the command with Telegram's Bot API at api (tests
// stand in for it).
func setTelegramWebhook(ctx context.Context, args []string, e env, api string) int {
	fs := newFlags("settelegramwebhook", e)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	// Through the configuration, which reads TELEGRAM_TOKEN_FILE too.
	token, _ := cfg.Env(e.getenv)("TELEGRAM_TOKEN")
	if token == "" {
		fmt.Fprintln(e.stderr, "overdue settelegramwebhook: TELEGRAM_TOKEN is not set: give it the bot's token from @BotFather.")
		return exitError
	}
	hook := cfg.SiteRoot + telegramBotPath
	body, err := json.Marshal(map[string]any{"url": hook, "allowed_updates": telegramUpdates})
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue settelegramwebhook: %v.\n", err)
		return exitError
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(api, "/")+"/bot"+token+"/setWebhook", bytes.NewReader(body))
	if err != nil {
		// The token is in the URL: say what is wrong without it.
		fmt.Fprintln(e.stderr, "overdue settelegramwebhook: TELEGRAM_TOKEN does not fit in a URL.")
		return exitError
	}
	req.Header.Set("Content-Type", "application/json")
	// The integrations' client: it never puts the URL, and so the
	// token, in an error.
	client := notify.NewClient(notify.ClientOptions{AllowPrivate: cfg.IntegrationsAllowPrivateIPs})
	resp, err := client.Do(ctx, req)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue settelegramwebhook: Telegram did not answer: %s.\n", notify.ErrorText(err))
		return exitError
	}
	if resp.StatusCode != http.StatusOK {
		// Telegram explains a refusal in "description" ("Unauthorized",
		// "Bad Request: bad webhook: An HTTPS URL must be provided").
		var doc struct {
			Description string `json:"description"`
		}
		why := ""
		if json.Unmarshal(resp.Body, &doc) == nil && doc.Description != "" {
			// One line, of a bounded length, and never the token.
			why = strings.Join(strings.Fields(strings.ReplaceAll(doc.Description, token, "[TELEGRAM_TOKEN]")), " ")
			if r := []rune(why); len(r) > 200 {
				why = string(r[:200]) + "..."
			}
			why = ": " + why
		}
		fmt.Fprintf(e.stderr, "overdue settelegramwebhook: Telegram refused the webhook (status %d)%s.\n", resp.StatusCode, why)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Telegram's webhook is set to %s\n", hook)
	return exitOK
}
