//go:build !linux

package dashboard

// unacked cannot ask the kernel here: a stall is left to the broker's
// mailbox bound and the write deadline.
func (c *budgetConn) unacked() (int64, bool) { return 0, false }
