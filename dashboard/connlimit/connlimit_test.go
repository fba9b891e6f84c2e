package connlimit

import "testing"

func TestDerive(t *testing.T) {
	for _, tc := range []struct{ nofile, max, reserve, clients int }{
		{20000, 18000, 2000, 17100},
		{1024, 768, 256, 730},
		{256, 128, 128, 112},
		{1048576, 943719, 104857, DefaultMaxClients},
		{40, 20, 20, 4},
	} {
		m, r := Derive(tc.nofile)
		if m != tc.max || r != tc.reserve || m+r != tc.nofile {
			t.Errorf("Derive(%d) = %d, %d; want %d, %d", tc.nofile, m, r, tc.max, tc.reserve)
		}
		if c := MaxClientsFor(m); c != tc.clients || c >= m {
			t.Errorf("MaxClientsFor(%d) = %d; want %d, below the cap", m, c, tc.clients)
		}
	}
}

func TestNoLimitFitsDefaultClients(t *testing.T) {
	if c := MaxClientsFor(noLimitMax); c != DefaultMaxClients {
		t.Errorf("MaxClientsFor(%d) = %d; want %d", noLimitMax, c, DefaultMaxClients)
	}
}
