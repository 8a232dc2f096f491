package alert

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is the kind of bot a URL points at.
type Format string

// The formats ALERT_FORMAT names.
const (
	FormatAuto     Format = "auto" // told apart by the URL's path
	FormatDingTalk Format = "dingtalk"
	FormatFeishu   Format = "feishu" // Feishu and Lark
	FormatWeCom    Format = "wecom"
	FormatSlack    Format = "slack" // any Slack-compatible incoming webhook
)

// Detect tells the bot apart by the URL's path (SPEC §4.8): …/robot/send
// is DingTalk, …/open-apis/bot/v2/hook/… Feishu/Lark, …/cgi-bin/webhook/send
// WeCom, anything else Slack-compatible.
func Detect(u *url.URL) Format {
	p := u.Path
	switch {
	case strings.HasSuffix(p, "/robot/send"):
		return FormatDingTalk
	case strings.Contains(p, "/open-apis/bot/v2/hook/"):
		return FormatFeishu
	case strings.HasSuffix(p, "/cgi-bin/webhook/send"):
		return FormatWeCom
	}
	return FormatSlack
}

// textLimit is the most bytes of message text each bot takes: WeCom's text
// content is at most 2048 bytes, Feishu's whole request 20 KB, DingTalk's
// text about 20000 bytes; Slack's text is cut at 40000 characters.
var textLimit = map[Format]int{FormatDingTalk: 18000, FormatFeishu: 18000, FormatWeCom: 2048, FormatSlack: 39000}

// cut shortens s to at most n bytes on a rune boundary, ending in "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	s = s[:n-len(ell)]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + ell
}

// slackEscape escapes the three characters Slack's text format reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// request builds the POST for one message. secret is the signing secret
// (empty: unsigned); now is the signing time.
func request(f Format, u *url.URL, text, secret string, now time.Time) (*http.Request, error) {
	text = cut(text, textLimit[f])
	target := *u
	var body any
	switch f {
	case FormatDingTalk:
		body = map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}
		if secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			sign := hmacBase64(secret, ts+"\n"+secret)
			q := "timestamp=" + ts + "&sign=" + url.QueryEscape(sign)
			if target.RawQuery != "" {
				q = target.RawQuery + "&" + q
			}
			target.RawQuery = q
		}
	case FormatFeishu:
		m := map[string]any{"msg_type": "text", "content": map[string]string{"text": text}}
		if secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			m["timestamp"] = ts
			m["sign"] = hmacBase64(ts+"\n"+secret, "")
		}
		body = m
	case FormatWeCom:
		body = map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}
	default:
		body = map[string]string{"text": slackEscape.Replace(text)}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, target.String(), bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// hmacBase64 is base64(HMAC-SHA256(key, msg)).
func hmacBase64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// vendorAnswer reads an answer: the DingTalk and WeCom errcode, the
// Feishu code (or the older StatusCode), each non-zero a failure. A
// Slack-compatible hook answers "ok" (or other text) with any 2xx; a JSON
// answer with a non-zero errcode or code is a failure there too (the URL
// was a Chinese vendor's, with ALERT_FORMAT=slack).
func vendorAnswer(f Format, body []byte) (code int, msg string, err error) {
	var a struct {
		ErrCode       *int   `json:"errcode"`
		ErrMsg        string `json:"errmsg"`
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		if f == FormatSlack {
			return 0, "", nil // "ok", or any other text
		}
		return 0, "", fmt.Errorf("the answer is not the bot's JSON (is ALERT_FORMAT right for this URL?)")
	}
	switch {
	case a.ErrCode != nil:
		return *a.ErrCode, a.ErrMsg, nil
	case a.Code != nil:
		return *a.Code, a.Msg, nil
	case a.StatusCode != nil:
		return *a.StatusCode, a.StatusMessage, nil
	}
	if f == FormatSlack {
		return 0, "", nil
	}
	return 0, "", fmt.Errorf("the answer has no errcode or code (is ALERT_FORMAT right for this URL?)")
}

// shapeCodes are the vendors' answers to a body of the wrong shape
// (DingTalk 40035, Feishu 9499, WeCom 40008): ALERT_FORMAT does not match
// the bot.
var shapeCodes = map[int]bool{40035: true, 9499: true, 40008: true}

// hints say what to do about a vendor's error code.
var hints = map[Format]map[int]string{
	FormatDingTalk: {
		310000: "the robot refused the signature, keywords or IP: check that ALERT_SECRET_NAME holds the robot's SEC… secret, that the clock is right, and the robot's security settings (a keyword must be \"ramsync\")",
		300001: "the URL's token is not a robot's: copy the robot's webhook URL into ALERT_WEBHOOK_URL again",
		300005: "the URL's token is not a robot's: copy the robot's webhook URL into ALERT_WEBHOOK_URL again",
		130101: "the robot takes at most 20 messages a minute",
		400102: "the robot is stopped: enable it in the group's settings",
	},
	FormatFeishu: {
		19021: "the bot refused the signature: check that ALERT_SECRET_NAME holds the bot's signing secret and that the clock is right",
		19024: "the bot's keywords are not in the message: make \"ramsync\" a keyword",
		19022: "the bot's IP allow list refused the function's egress IP",
		19001: "the hook token is not a bot's: copy the bot's webhook URL into ALERT_WEBHOOK_URL again",
		11232: "the bot is rate limited (100 messages a minute)",
	},
	FormatWeCom: {
		93000: "the key is not a group bot's: copy the bot's webhook URL into ALERT_WEBHOOK_URL again",
		45009: "the bot is rate limited (20 messages a minute)",
	},
}
