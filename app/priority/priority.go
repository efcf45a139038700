// Package priority lowers the CPU priority of the whole process while it
// trains, so that the browser drawing the run (and anything else on the
// machine) is served first: on two busy cores a page that competes with the
// trainer on equal terms paints its chart a hundred milliseconds late. A
// lower priority costs training time only when something else wants the
// CPU.
//
// On Linux a nice value belongs to each thread, so Lower sets it on every
// thread of the process; threads made later inherit it from their creator.
// Elsewhere Lower does nothing.
package priority

import "sync"

// lowered counts the holders of a lowered priority in this process: the
// first sets it, the last restores it, so that two services in one process
// (as in tests) do not undo each other.
var (
	mu       sync.Mutex
	holders  int
	restorer func() error
)

// Lower sets the process to nice value n (1–19; higher is kinder) unless it
// already runs at n or above, and returns the function that puts the
// priority back once every caller of Lower has called theirs. Raising a
// priority again takes privilege (CAP_SYS_NICE) on Linux; without it
// restore reports the error and the process stays at n.
func Lower(n int) (restore func() error, err error) {
	mu.Lock()
	defer mu.Unlock()
	if holders == 0 {
		r, err := lower(n)
		if err != nil {
			return func() error { return nil }, err
		}
		restorer = r
	}
	holders++
	var once sync.Once
	return func() (err error) {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if holders--; holders == 0 && restorer != nil {
				err, restorer = restorer(), nil
			}
		})
		return err
	}, nil
}
