package secrets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/secrets"
)

func TestValueNeverPrints(t *testing.T) {
	const plain = "s3cr3t-app-value"
	v := secrets.NewValue(plain)
	type wrapper struct {
		Name   string
		Secret secrets.Value
		Ptr    *secrets.Value
	}
	w := wrapper{Name: "x", Secret: v, Ptr: &v}

	var outs []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-v"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, w), fmt.Sprintf(verb, &w))
	}
	outs = append(outs, fmt.Sprint(v), fmt.Sprintln(v), v.String(), fmt.Errorf("reading: %v", v).Error())

	js, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(js))

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("secret", "value", v, "wrapped", w)
	log2 := slog.New(slog.NewTextHandler(&buf, nil))
	log2.Info("secret", "value", v, "wrapped", w)
	outs = append(outs, buf.String())

	for _, o := range outs {
		if strings.Contains(o, plain) {
			t.Errorf("secret leaked in %q", o)
		}
		if !strings.Contains(o, secrets.Redacted) {
			t.Errorf("output %q does not say %s", o, secrets.Redacted)
		}
	}
	if v.Reveal() != plain {
		t.Errorf("Reveal() = %q, want %q", v.Reveal(), plain)
	}
}

func TestValueZeroAndEqual(t *testing.T) {
	var z secrets.Value
	if !z.IsZero() || secrets.NewValue("a").IsZero() {
		t.Error("IsZero wrong")
	}
	if !secrets.NewValue("a").Equal(secrets.NewValue("a")) || secrets.NewValue("a").Equal(secrets.NewValue("b")) {
		t.Error("Equal wrong")
	}
}

func TestStripQuery(t *testing.T) {
	for in, want := range map[string]string{
		`Post "https://kms.cn-hangzhou.aliyuncs.com/?AccessKeyId=STS.x&SecurityToken=tok&Signature=s": EOF`: `Post "https://kms.cn-hangzhou.aliyuncs.com/": EOF`,
		"dial tcp 1.2.3.4:443: connection refused":                                                          "dial tcp 1.2.3.4:443: connection refused",
		"a?b c?d":                    "a c",
		"trailing?SecurityToken=tok": "trailing",
	} {
		if got := secrets.StripQuery(in); got != want {
			t.Errorf("StripQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
