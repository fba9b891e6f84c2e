package configs

// dearRequestCost is what one dear request costs (the dashboard's
// costDear): a burst below it would refuse every one.
const dearRequestCost = 20

// validateDear checks server.dear_request_rate and
// server.dear_request_burst: the dashboard's budgets for dear requests
// (docs/reliability.md, "HTTP and WebSocket clients").
func (s Server) validateDear(p *problems) {
	if r := s.DearRequestRate; r < -1 {
		p.addf("dear_request_rate", "must be -1 (no budget), 0 (left out: 2000) or more cost units a second, got %d", r)
	}
	switch b := s.DearRequestBurst; {
	case b < 0:
		p.addf("dear_request_burst", "must not be negative, got %d (0 or left out: 4000)", b)
	case b > 0 && b < dearRequestCost:
		p.addf("dear_request_burst", "%d cost units cannot pay one dear request (%d): at least %d", b, dearRequestCost, dearRequestCost)
	}
}
