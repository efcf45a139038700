package live

import "time"

// SetWriteTimeout shortens how long a write to a viewer may block, so a
// test sees a stalled viewer's write time out without waiting 10 s.
func (h *Hub) SetWriteTimeout(d time.Duration) { h.writeTimeout = d }
