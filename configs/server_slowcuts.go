package configs

// validateSlowCuts checks server.slow_cut_budget: the dashboard's budget
// of slow cuts per client address (docs/reliability.md, "HTTP and
// WebSocket clients").
func (s Server) validateSlowCuts(p *problems) {
	if b := s.SlowCutBudget; b < -1 {
		p.addf("slow_cut_budget", "must be -1 (no budget), 0 (left out: 60) or more cuts a minute, got %d", b)
	}
}
