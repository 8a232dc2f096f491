package fcruntime

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Function is a deployed function: a compiled binary and the s.yaml props
// the runtime needs [ALIYUN.md §5.1].
type Function struct {
	// Name is the functionName (letters, digits, "_" and "-", at most 64,
	// not starting with a digit or "-").
	Name string
	// Binary is the path of the compiled function. Its directory is the
	// code directory: the working directory and FC_FUNC_CODE_PATH.
	Binary string
	// Handler is FC_FUNCTION_HANDLER; empty means the binary's file name,
	// as for runtime go1.
	Handler string
	// MemoryMB is memorySize, 128–32768 in steps of 64; zero means 512.
	// It is only reported, not enforced.
	MemoryMB int
	// Timeout is the time an invocation may run; zero means 3 s, the most
	// is 24 h. Shorter than a second is allowed (for tests).
	Timeout time.Duration
	// Env is environmentVariables. Keys start with a letter and hold
	// letters, digits and "_"; the prefix "FC_" is reserved; keys and
	// values total at most 4 KB [ALIYUN.md §4.3 DOC].
	Env map[string]string
	// MaxInstances caps the function's instances (one invocation each at a
	// time); zero means 1.
	MaxInstances int
}

var (
	functionName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)
	envKey       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Deploy makes fn invocable. No process starts until the first invocation
// (or Start). Deploying a name twice is an error.
func (rt *Runtime) Deploy(fn Function) error {
	if err := fn.normalize(); err != nil {
		return fmt.Errorf("fcruntime: deploy %q: %w", fn.Name, err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return ErrClosed
	}
	if _, ok := rt.fns[fn.Name]; ok {
		return fmt.Errorf("fcruntime: deploy %q: already deployed", fn.Name)
	}
	rt.fns[fn.Name] = newFunction(rt, fn)
	return nil
}

// normalize checks fn and fills in defaults.
func (fn *Function) normalize() error {
	if !functionName.MatchString(fn.Name) {
		return errors.New("invalid function name")
	}
	if fn.Binary == "" {
		return errors.New("no binary")
	}
	bin, err := filepath.Abs(fn.Binary)
	if err != nil {
		return err
	}
	st, err := os.Stat(bin)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", bin)
	}
	fn.Binary = bin
	if fn.Handler == "" {
		fn.Handler = filepath.Base(bin)
	}
	switch {
	case fn.MemoryMB == 0:
		fn.MemoryMB = 512
	case fn.MemoryMB < 128 || fn.MemoryMB > 32768 || fn.MemoryMB%64 != 0:
		return fmt.Errorf("memory %d MB: want 128–32768 in steps of 64", fn.MemoryMB)
	}
	switch {
	case fn.Timeout == 0:
		fn.Timeout = 3 * time.Second
	case fn.Timeout < 0 || fn.Timeout > 24*time.Hour:
		return fmt.Errorf("timeout %v: want at most 24h", fn.Timeout)
	}
	switch {
	case fn.MaxInstances == 0:
		fn.MaxInstances = 1
	case fn.MaxInstances < 0:
		return fmt.Errorf("MaxInstances %d is negative", fn.MaxInstances)
	}
	return checkEnv(fn.Env)
}

// checkEnv applies FC's rules for environment variables.
func checkEnv(env map[string]string) error {
	size := 0
	for k, v := range env {
		if !envKey.MatchString(k) {
			return fmt.Errorf("environment variable %q: invalid name", k)
		}
		if strings.HasPrefix(k, "FC_") {
			return fmt.Errorf("environment variable %q: the prefix FC_ is reserved", k)
		}
		size += len(k) + len(v)
	}
	if size > 4096 {
		return fmt.Errorf("environment variables total %d bytes, more than 4 KB", size)
	}
	return nil
}

// timeoutSeconds is the x-fc-function-timeout value: whole seconds, at
// least 1.
func (fn *Function) timeoutSeconds() int {
	return max(1, int(math.Ceil(fn.Timeout.Seconds())))
}

// environ is the environment of one instance, sorted by name: PATH, HOME
// and TMPDIR from the parent, then the function's variables, then the
// platform's (which win).
func (rt *Runtime) environ(fn *Function, instanceID, api string) []string {
	m := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			m[k] = v
		}
	}
	for k, v := range fn.Env {
		m[k] = v
	}
	o := rt.opts
	m["FC_RUNTIME_API"] = api
	m["FC_REGION"] = o.Region
	m["FC_ACCOUNT_ID"] = o.AccountID
	m["FC_FUNCTION_NAME"] = fn.Name
	m["FC_FUNCTION_HANDLER"] = fn.Handler
	m["FC_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(fn.MemoryMB)
	m["FC_INSTANCE_ID"] = instanceID
	m["FC_FUNC_CODE_PATH"] = filepath.Dir(fn.Binary)
	m["FC_FUNCTION_VERSION"] = "LATEST"
	setIf(m, "ALIBABA_CLOUD_ACCESS_KEY_ID", o.Credentials.AccessKeyID)
	setIf(m, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", o.Credentials.AccessKeySecret)
	setIf(m, "ALIBABA_CLOUD_SECURITY_TOKEN", o.Credentials.SecurityToken)

	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// setIf sets m[k] to a non-empty v.
func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
