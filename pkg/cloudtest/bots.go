package cloudtest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// BotKind is the chat bot a request was addressed to, told apart by its
// path as ramsync tells them apart (SPEC §4.8).
type BotKind string

// The four bots Bots receives for.
const (
	BotDingTalk BotKind = "dingtalk" // POST …/robot/send?access_token=…
	BotFeishu   BotKind = "feishu"   // POST …/open-apis/bot/v2/hook/<token>
	BotWeCom    BotKind = "wecom"    // POST …/cgi-bin/webhook/send?key=…
	BotSlack    BotKind = "slack"    // POST to any other path, {"text": …}
)

// BotsOptions configure a Bots receiver. The zero value is a set of bots
// without signing that accept any token.
type BotsOptions struct {
	// Secret is the signing secret of the DingTalk robot and the Feishu bot
	// (DingTalk's "SEC…" string, Feishu's signature key). Empty: signing is
	// off, and a signature that comes anyway is recorded but not checked.
	Secret string
	// Token, when set, is the only access token accepted: DingTalk's
	// access_token query parameter, WeCom's key, the last path element of
	// a Feishu hook. Empty accepts any non-empty token.
	Token string
	// Now is the bots' clock, for the one-hour timestamp window. Default
	// time.Now.
	Now func() time.Time
}

// BotPost is one chat message a bot received (a POST; other methods are
// only counted).
type BotPost struct {
	Bot  BotKind
	Path string
	// MsgType is the vendor's message type ("text", "markdown", "post");
	// empty for Slack.
	MsgType string
	// Text is what the chat would show: the text or markdown content, a
	// Feishu post's title and text elements on their own lines.
	Text string
	// Signed says the request carried a signature (DingTalk: timestamp and
	// sign in the query; Feishu: in the body).
	Signed bool
	// SignatureValid says the signature checks out against
	// BotsOptions.Secret and its timestamp is within one hour of the
	// bots' clock, as the vendor checks it. Always false without a secret.
	SignatureValid bool
	// Code is the vendor code answered: 0 for success (DingTalk and WeCom
	// errcode, Feishu code), or the HTTP status for Slack and for
	// SetFailure answers.
	Code int
	// Accepted says the bot answered success: the message reached the chat.
	Accepted bool
	// Body is the raw request body.
	Body []byte
}

// Bots is a running receiver for the four kinds of chat bot ramsync alerts
// to (SPEC §4.8), shaped like httptest.Server: NewBots starts it on a
// loopback port, URL is its base, Close stops it. It checks signatures as
// each vendor does, answers as each vendor does and records every message.
//
// What it follows, and what is inference:
//   - DingTalk custom robot: sign = base64(HMAC-SHA256(key secret,
//     timestamp+"\n"+secret)) in the query (URL-encoded), timestamp in
//     milliseconds within one hour of now. Answers {"errcode":0,
//     "errmsg":"ok"}; 310000 "sign not match" or "invalid timestamp" for a
//     bad signature, 300001 "token is not exist" for an unknown token,
//     40035 "缺少参数 json" for a body that is not JSON [the codes are the
//     documented ones; the exact texts are inference]. Custom keywords and
//     IP allow lists are not emulated.
//   - Feishu/Lark custom bot: timestamp (seconds, a string) and sign =
//     base64(HMAC-SHA256(key timestamp+"\n"+secret, empty message)) in the
//     body. Answers {"StatusCode":0,"StatusMessage":"success","code":0,
//     "data":{},"msg":"success"}; {"code":19021,"msg":"sign match fail or
//     timestamp is not within one hour from current time"} for a bad
//     signature, 19001 for an unknown hook token, 9499 "Bad Request" for
//     a body that is not JSON. Errors are answered with HTTP 200 [inference].
//   - WeCom group bot: no signing; answers {"errcode":0,"errmsg":"ok"},
//     93000 "invalid webhook url" for a missing or unknown key, 40008
//     "invalid message type", 44004 "empty content" [inference on texts].
//   - Slack-compatible incoming webhook: {"text": …}; answers 200 "ok",
//     400 "invalid_payload" or "no_text".
//   - Non-POST requests are counted (Requests) and answered 405, without
//     being recorded as posts.
//
// All methods are safe for concurrent use.
type Bots struct {
	// URL is the base URL, "http://127.0.0.1:PORT" (no trailing slash).
	// Bot URLs are URL plus a vendor path: DingTalkURL, FeishuURL, WeComURL,
	// SlackURL.
	URL string

	srv  *httptest.Server
	opts BotsOptions

	mu       sync.Mutex
	posts    []BotPost
	requests int
	failWith int
}

// NewBots starts a Bots receiver on loopback.
func NewBots(opts BotsOptions) *Bots {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Bots{opts: opts}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	b.URL = b.srv.URL
	return b
}

// Close stops the receiver.
func (b *Bots) Close() { b.srv.Close() }

// Client returns an *http.Client for the receiver.
func (b *Bots) Client() *http.Client { return b.srv.Client() }

// DingTalkURL is a DingTalk robot webhook URL on this receiver with the
// given access token (BotsOptions.Token, or any).
func (b *Bots) DingTalkURL(token string) string {
	return b.URL + "/robot/send?access_token=" + token
}

// FeishuURL is a Feishu/Lark bot webhook URL with the given hook token.
func (b *Bots) FeishuURL(token string) string { return b.URL + "/open-apis/bot/v2/hook/" + token }

// WeComURL is a WeCom group bot webhook URL with the given key.
func (b *Bots) WeComURL(key string) string { return b.URL + "/cgi-bin/webhook/send?key=" + key }

// SlackURL is a Slack-compatible incoming webhook URL.
func (b *Bots) SlackURL() string { return b.URL + "/services/T0000/B0000/XXXXXXXX" }

// Posts returns the messages received so far (POSTs, accepted or not), in
// order.
func (b *Bots) Posts() []BotPost {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.posts)
}

// Accepted returns the messages that reached the chat.
func (b *Bots) Accepted() []BotPost {
	var out []BotPost
	for _, p := range b.Posts() {
		if p.Accepted {
			out = append(out, p)
		}
	}
	return out
}

// Requests is the number of requests received, any method.
func (b *Bots) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// Reset forgets the posts and the request count.
func (b *Bots) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.posts, b.requests = nil, 0
}

// SetFailure makes every bot answer this HTTP status (e.g. 500) with a
// plain-text body, recording the post as not accepted; 0 restores normal
// answers.
func (b *Bots) SetFailure(status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failWith = status
}

// botKindOf tells the bot apart by the request path.
func botKindOf(path string) BotKind {
	switch {
	case strings.HasSuffix(path, "/robot/send"):
		return BotDingTalk
	case strings.Contains(path, "/open-apis/bot/v2/hook/"):
		return BotFeishu
	case strings.HasSuffix(path, "/cgi-bin/webhook/send"):
		return BotWeCom
	}
	return BotSlack
}

func (b *Bots) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.requests++
	fail := b.failWith
	b.mu.Unlock()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readBotBody(r)
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	p := BotPost{Bot: botKindOf(r.URL.Path), Path: r.URL.Path, Body: body}
	if fail != 0 {
		p.Code = fail
		b.record(p)
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	var a botAnswer
	switch p.Bot {
	case BotDingTalk:
		a = b.dingtalk(r, &p)
	case BotFeishu:
		a = b.feishu(r, &p)
	case BotWeCom:
		a = b.wecom(r, &p)
	default:
		a = b.slack(&p)
	}
	b.record(p)
	a.write(w)
}

func (b *Bots) record(p BotPost) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.posts = append(b.posts, p)
}

// tokenOK checks an access token against BotsOptions.Token.
func (b *Bots) tokenOK(tok string) bool {
	return tok != "" && (b.opts.Token == "" || tok == b.opts.Token)
}
