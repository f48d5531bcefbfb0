package freshtoken

// SessionConfig configures the registry of live sessions.
// (Being built: issue #15.)
type SessionConfig struct{}

// sessionState is the Manager's view of the session registry.
type sessionState struct{}

// initSessions sets up the session registry from cfg.
func (m *Manager) initSessions(cfg *Config) error { return nil }
