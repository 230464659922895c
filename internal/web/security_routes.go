package web

// securityPageRoutes are the security area's pages.
func (s *Server) securityPageRoutes() []route {
	return []route{
		{"GET", "/admin/audit", "audit:read", s.auditPage},
		{"GET", "/admin/audit.csv", "audit:read", s.auditCSV},
		{"GET", "/admin/settings", "clinic:configure", s.settingsPage},
		{"POST", "/admin/settings", "clinic:configure", s.saveSettings},
		{"GET", "/account/security", "account:manage_self", s.accountSecurityPage},
		{"POST", "/account/security/enrol", "account:manage_self", s.enrolMFA},
		{"POST", "/account/security/disable", "account:manage_self", s.disableMFA},
		{"GET", "/account/password", "account:manage_self", s.passwordPage},
		{"POST", "/account/password", "account:manage_self", s.changePassword},
		{"GET", "/login/totp", public, s.loginTOTPPage},
		{"POST", "/login/totp", public, s.loginTOTP},
		{"GET", "/forgot-password", public, s.forgotPasswordPage},
		{"POST", "/forgot-password", public, s.forgotPassword},
		{"GET", "/password-reset/:token", public, s.passwordResetPage},
		{"POST", "/password-reset/:token", public, s.usePasswordReset},
	}
}

// securityAPIRoutes are the security area's API endpoints.
func (s *Server) securityAPIRoutes() []route {
	return []route{
		{"GET", "/audit", "audit:read", s.apiAudit},
		{"POST", "/me/password", "account:manage_self", s.apiChangePassword},
		{"POST", "/me/totp", "account:manage_self", s.apiStartTOTP},
		{"POST", "/me/totp/confirm", "account:manage_self", s.apiConfirmTOTP},
		{"POST", "/me/totp/disable", "account:manage_self", s.apiDisableTOTP},
		{"POST", "/password-resets/:token", public, s.apiUsePasswordReset},
		{"POST", "/auth/forgot-password", public, s.apiForgotPassword},
	}
}
