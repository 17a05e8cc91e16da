package send

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	e := &engine{opt: Options{RetryWait: time.Second}}
	for try, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 40: maxRetryWait} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := e.backoff(try)
			if d < base || d > base+base/4 {
				t.Fatalf("backoff(%d) = %v, want between %v and %v", try, d, base, base+base/4)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) gave %v every time: no jitter", try, slices.Collect(maps.Keys(seen)))
		}
	}
	// The default: 30 s doubling over 5 retries waits several minutes, enough for
	// greylisting (typically 1 to 5 minutes) to pass.
	var total time.Duration
	e.opt.RetryWait = 30 * time.Second
	for try := 1; try <= 5; try++ {
		total += e.opt.RetryWait << (try - 1)
	}
	if total < 5*time.Minute || total > 20*time.Minute {
		t.Errorf("default retries wait %v in all, want several minutes", total)
	}
}
