package secrets

import (
	"context"
	"fmt"
)

// Static serves fixed secret values by name, for local runs and tests
// (ramsync's *_SECRET variables). Refresh returns the same value.
type Static map[string]Value

// Get returns the value for name.
func (s Static) Get(_ context.Context, name string) (Value, error) {
	v, ok := s[name]
	if !ok {
		return Value{}, fmt.Errorf("secrets: no local value for %q", name)
	}
	return v, nil
}

// Refresh is Get.
func (s Static) Refresh(ctx context.Context, name string) (Value, error) { return s.Get(ctx, name) }
