package web

// securityPageRoutes are the security area's pages.
func (s *Server) securityPageRoutes() []route {
	return []route{
		{"GET", "/admin/audit", "audit:read", s.auditPage},
		{"GET", "/admin/settings", "clinic:configure", s.settingsPage},
		{"POST", "/admin/settings", "clinic:configure", s.saveSettings},
		{"GET", "/account/security", "account:manage_self", s.accountSecurityPage},
		{"POST", "/account/security/enrol", "account:manage_self", s.enrolMFA},
		{"POST", "/account/security/disable", "account:manage_self", s.disableMFA},
		{"GET", "/login/totp", public, s.loginTOTPPage},
		{"POST", "/login/totp", public, s.loginTOTP},
	}
}

// securityAPIRoutes are the security area's API endpoints.
func (s *Server) securityAPIRoutes() []route {
	return []route{
		{"GET", "/audit", "audit:read", s.apiAudit},
	}
}
