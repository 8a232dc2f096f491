package fcruntime

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"
)

// The binary is a function built with the real SDK (here testdata/echo,
// built by TestMain).
func Example() {
	rt := New(Options{Region: "cn-hangzhou"})
	defer rt.Close()
	err := rt.Deploy(Function{Name: "echo", Binary: echoBin, Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}

	res, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"error","message":"boom"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Err.Type, res.Err.Message)

	out, err := rt.InvokeAsync("echo", []byte(`{"mode":"failUntil","retries":1}`), AsyncOptions{}).Wait(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(out.Attempts), out.Destination)
	fmt.Printf("%+v\n", rt.Counters("echo"))
	// Output:
	// errorString boom (retry 0)
	// 2 onSuccess
	// {Invocations:3 ColdStarts:1}
}

func ExampleRuntime_ServeHTTPTrigger() {
	rt := New(Options{})
	defer rt.Close()
	if err := rt.Deploy(Function{Name: "webhook", Binary: echoBin}); err != nil {
		log.Fatal(err)
	}
	url, err := rt.ServeHTTPTrigger("webhook", HTTPTrigger{Methods: []string{"POST"}, AuthType: "anonymous"})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(url+"/?status=202", "application/json", strings.NewReader(`{}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Echo"), strings.Contains(string(body), `"version":"v1"`))
	// Output: 202 yes true
}
