package cloudtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// botMaxBody is the most a bot reads of a request: every vendor caps
// messages at about 20 KB.
const botMaxBody = 1 << 20

func readBotBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, botMaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > botMaxBody {
		return nil, errors.New("body too large")
	}
	return body, nil
}

// botAnswer is an HTTP answer: JSON for the Chinese vendors, text for Slack.
type botAnswer struct {
	status int
	json   any
	text   string
}

func (a botAnswer) write(w http.ResponseWriter) {
	if a.json != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(a.status)
		_ = json.NewEncoder(w).Encode(a.json)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.text)
}

// errcodeAnswer is DingTalk's and WeCom's answer shape.
func errcodeAnswer(code int, msg string) botAnswer {
	return botAnswer{status: http.StatusOK, json: map[string]any{"errcode": code, "errmsg": msg}}
}

// botSign is HMAC-SHA256 in base64.
func botSign(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// withinHour reports whether t is within one hour of now, either way.
func withinHour(t, now time.Time) bool {
	d := now.Sub(t)
	return d <= time.Hour && d >= -time.Hour
}

// dingtalk handles a DingTalk custom robot message.
func (b *Bots) dingtalk(r *http.Request, p *BotPost) botAnswer {
	q := r.URL.Query()
	if !b.tokenOK(q.Get("access_token")) {
		return errcodeAnswer(300001, "token is not exist")
	}
	ts, sign := q.Get("timestamp"), q.Get("sign")
	p.Signed = ts != "" || sign != ""
	if b.opts.Secret != "" {
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || !withinHour(time.UnixMilli(ms), b.opts.Now()) {
			p.Code = 310000
			return errcodeAnswer(310000, "invalid timestamp")
		}
		// The query is decoded once: sign is the base64 string itself.
		want := botSign(b.opts.Secret, ts+"\n"+b.opts.Secret)
		if !hmac.Equal([]byte(sign), []byte(want)) {
			p.Code = 310000
			return errcodeAnswer(310000, "sign not match")
		}
		p.SignatureValid = true
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Text     struct{ Content string }
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(p.Body, &m); err != nil {
		p.Code = 40035
		return errcodeAnswer(40035, "缺少参数 json")
	}
	p.MsgType = m.MsgType
	switch m.MsgType {
	case "text":
		p.Text = m.Text.Content
	case "markdown":
		p.Text = m.Markdown.Text
		if m.Markdown.Title == "" {
			p.Code = 40035
			return errcodeAnswer(40035, "缺少参数 markdown.title")
		}
	default:
		p.Code = 40035
		return errcodeAnswer(40035, "不支持的 msgtype")
	}
	if p.Text == "" {
		p.Code = 40035
		return errcodeAnswer(40035, "缺少参数 content")
	}
	p.Accepted = true
	return errcodeAnswer(0, "ok")
}

// feishuAnswer is Feishu's answer shape.
func feishuAnswer(code int, msg string) botAnswer {
	if code == 0 {
		return botAnswer{status: http.StatusOK, json: map[string]any{
			"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": map[string]any{}, "msg": "success"}}
	}
	return botAnswer{status: http.StatusOK, json: map[string]any{"code": code, "data": map[string]any{}, "msg": msg}}
}

// feishu handles a Feishu/Lark custom bot message.
func (b *Bots) feishu(r *http.Request, p *BotPost) botAnswer {
	if !b.tokenOK(path.Base(r.URL.Path)) || strings.HasSuffix(r.URL.Path, "/hook/") {
		p.Code = 19001
		return feishuAnswer(19001, "param invalid: incoming webhook access token invalid")
	}
	var m struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Sign      string          `json:"sign"`
		MsgType   string          `json:"msg_type"`
		Content   struct {
			Text string          `json:"text"`
			Post json.RawMessage `json:"post"`
		} `json:"content"`
	}
	if err := json.Unmarshal(p.Body, &m); err != nil {
		p.Code = 9499
		return feishuAnswer(9499, "Bad Request")
	}
	// The timestamp is documented as a string; a number is taken too.
	ts := strings.Trim(string(m.Timestamp), `"`)
	p.Signed = ts != "" || m.Sign != ""
	if b.opts.Secret != "" {
		sec, err := strconv.ParseInt(ts, 10, 64)
		want := botSign(ts+"\n"+b.opts.Secret, "")
		if err != nil || !withinHour(time.Unix(sec, 0), b.opts.Now()) || !hmac.Equal([]byte(m.Sign), []byte(want)) {
			p.Code = 19021
			return feishuAnswer(19021, "sign match fail or timestamp is not within one hour from current time")
		}
		p.SignatureValid = true
	}
	p.MsgType = m.MsgType
	switch m.MsgType {
	case "text":
		p.Text = m.Content.Text
	case "post":
		p.Text = feishuPostText(m.Content.Post)
	default:
		p.Code = 9499
		return feishuAnswer(9499, "Bad Request")
	}
	if p.Text == "" {
		p.Code = 9499
		return feishuAnswer(9499, "Bad Request")
	}
	p.Accepted = true
	return feishuAnswer(0, "")
}

// feishuPostText flattens a rich-text post: the title, then each
// paragraph's text elements on a line.
func feishuPostText(raw json.RawMessage) string {
	var post map[string]struct {
		Title   string `json:"title"`
		Content [][]struct {
			Tag  string `json:"tag"`
			Text string `json:"text"`
			Href string `json:"href"`
		} `json:"content"`
	}
	if json.Unmarshal(raw, &post) != nil {
		return ""
	}
	for _, lang := range []string{"zh_cn", "en_us", "ja_jp"} {
		doc, ok := post[lang]
		if !ok {
			continue
		}
		lines := []string{}
		if doc.Title != "" {
			lines = append(lines, doc.Title)
		}
		for _, para := range doc.Content {
			var line strings.Builder
			for _, el := range para {
				line.WriteString(el.Text)
			}
			lines = append(lines, line.String())
		}
		return strings.Join(lines, "\n")
	}
	return ""
}

// wecom handles a WeCom group bot message.
func (b *Bots) wecom(r *http.Request, p *BotPost) botAnswer {
	if !b.tokenOK(r.URL.Query().Get("key")) {
		p.Code = 93000
		return errcodeAnswer(93000, "invalid webhook url")
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Text     struct{ Content string }
		Markdown struct{ Content string }
	}
	if err := json.Unmarshal(p.Body, &m); err != nil {
		p.Code = 40008
		return errcodeAnswer(40008, "invalid message type")
	}
	p.MsgType = m.MsgType
	switch m.MsgType {
	case "text":
		p.Text = m.Text.Content
		if len(p.Text) > 2048 {
			p.Code = 40058
			return errcodeAnswer(40058, "content exceed max length 2048")
		}
	case "markdown":
		p.Text = m.Markdown.Content
		if len(p.Text) > 4096 {
			p.Code = 40058
			return errcodeAnswer(40058, "content exceed max length 4096")
		}
	default:
		p.Code = 40008
		return errcodeAnswer(40008, "invalid message type")
	}
	if p.Text == "" {
		p.Code = 44004
		return errcodeAnswer(44004, "empty content")
	}
	p.Accepted = true
	return errcodeAnswer(0, "ok")
}

// slack handles a Slack-compatible incoming webhook message.
func (b *Bots) slack(p *BotPost) botAnswer {
	var m struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(p.Body, &m); err != nil {
		p.Code = http.StatusBadRequest
		return botAnswer{status: http.StatusBadRequest, text: "invalid_payload"}
	}
	if m.Text == nil || *m.Text == "" {
		p.Code = http.StatusBadRequest
		return botAnswer{status: http.StatusBadRequest, text: "no_text"}
	}
	p.Text = *m.Text
	p.Code = http.StatusOK
	p.Accepted = true
	return botAnswer{status: http.StatusOK, text: "ok"}
}
