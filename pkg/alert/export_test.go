package alert

import "time"

// SetRetryDelay shortens the pause before the one retry, for tests.
func SetRetryDelay(n *Notifier, d time.Duration) { n.retryDelay = d }
