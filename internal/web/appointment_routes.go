package web

// appointmentPageRoutes are a couple's sessions: scheduling, moving and
// cancelling them, preparing for one with its private note, and the
// counselor's calendar feed (public: its secret URL is the credential).
func (s *Server) appointmentPageRoutes() []route {
	return []route{
		{"GET", "/couples/:id/sessions/new", "session:manage", s.newSessionPage},
		{"POST", "/couples/:id/sessions", "session:manage", s.createSessions},
		{"GET", "/sessions/:id", "session:read", s.sessionPage},
		{"POST", "/sessions/:id", "session:manage", s.sessionUpdate},
		{"GET", "/sessions/:id/prep", "session:prepare", s.prepPage},
		{"POST", "/sessions/:id/note", "session:prepare", s.saveNote},
		{"POST", "/sessions/:id/note/autosave", "session:prepare", s.autosaveNote},
		{"GET", "/account/calendar", "session:manage", s.calendarPage},
		{"POST", "/account/calendar", "session:manage", s.calendarAction},
		{"GET", "/calendar/:file", public, s.calendarFeed},
	}
}

// appointmentAPIRoutes are the sessions under /api/v1.
func (s *Server) appointmentAPIRoutes() []route {
	return []route{
		{"GET", "/couples/:id/sessions", "session:read", s.apiCoupleSessions},
		{"POST", "/couples/:id/sessions", "session:manage", s.apiCreateSessions},
		{"GET", "/sessions", "session:read", s.apiSessions},
		{"GET", "/sessions/:id", "session:read", s.apiSession},
		{"PATCH", "/sessions/:id", "session:manage", s.apiPatchSession},
		{"DELETE", "/sessions/:id", "session:manage", s.apiCancelSession},
		{"GET", "/sessions/:id/prep", "session:prepare", s.apiPrep},
		{"PUT", "/sessions/:id/note", "session:prepare", s.apiSaveNote},
		{"POST", "/me/calendar-feed", "session:manage", s.apiNewFeed},
		{"DELETE", "/me/calendar-feed", "session:manage", s.apiStopFeed},
	}
}
