// Package alert posts ramsync's alerts to a chat bot (SPEC §4.8): a
// DingTalk custom robot, a Feishu/Lark custom bot, a WeCom group bot or a
// Slack-compatible incoming webhook.
//
// A [Message] says what happened, for whom (the first 10 names, then a
// count) and the exact next step; the builders ([BrakesMessage],
// [BlockedMessage], [FailedMessage], [RejectedMessage], [PreflightMessage],
// [TokenRefusedMessage]) make one from plain data. A [Notifier] posts them:
// [Notifier.Send] posts one and returns what failed; [Notifier.SendAll]
// posts at most one message per [Kind] for a run or invocation, merging the
// names, and only logs what failed, because a bot that fails must never
// fail the run. [Notifier.Reachable] is the preflight check: any HTTP
// answer counts, nothing is posted.
//
// The bot is told apart by the URL's path ([Detect]), so a test double on
// any host works, or forced with [Config.Format]:
//
//	…/robot/send                 DingTalk: {"msgtype":"text",…}; signed with
//	                             &timestamp=<ms>&sign=<…> in the query
//	…/open-apis/bot/v2/hook/…    Feishu/Lark: {"msg_type":"text",…}; signed
//	                             with "timestamp" and "sign" in the body
//	…/cgi-bin/webhook/send       WeCom: {"msgtype":"text",…}; no signing
//	anything else                Slack-compatible: {"text": …}
//
// Messages are plain text on every bot, so names and the approval payload
// arrive exactly as written. Each starts with "ramsync", which a DingTalk
// robot guarded by custom keywords can use as its keyword.
//
// Secrets: the signing secret is read through [Config.Secret] at each send
// (never at start-up) and used only as an HMAC key. The webhook URL is a
// secret too (DingTalk's access_token and WeCom's key are in its query,
// Feishu's and Slack's tokens in its path): logs and errors name only the
// bot and the host.
//
// The vendors' pages: DingTalk "自定义机器人安全设置" (open.dingtalk.com),
// Feishu "自定义机器人使用指南" (open.feishu.cn), WeCom "群机器人配置说明"
// (developer.work.weixin.qq.com), Slack "Sending messages using incoming
// webhooks" (api.slack.com).
package alert
