package web

// clinicPageRoutes are the clinic area's pages.
func (s *Server) clinicPageRoutes() []route {
	return []route{
		{"GET", "/admin/couples", "couple:list", s.couplesPage},
		{"GET", "/admin/couples/new", "couple:create", s.newCouplePage},
		{"POST", "/admin/couples", "couple:create", s.createCouple},
		{"POST", "/admin/couples/:id", "couple:manage", s.updateCouple},
		{"POST", "/admin/couples/:id/partners/:partner_id/invitation", "invitation:manage", s.reissuePartner},
		{"POST", "/admin/couples/:id/partners/:partner_id/password-reset", "invitation:manage", s.partnerPasswordReset},
		{"GET", "/couples/:id", "couple:read", s.couplePage},
		{"GET", "/couples/:id/timeline", "couple:timeline", s.coupleTimelinePage},
		{"GET", "/admin/counselors", "counselor:list", s.counselorsPage},
		{"POST", "/admin/counselors", "counselor:invite", s.inviteCounselor},
		{"POST", "/admin/counselors/:id/active", "counselor:manage", s.setCounselorActive},
		{"POST", "/admin/counselors/:id/password-reset", "invitation:manage", s.counselorPasswordReset},
		{"POST", "/admin/invitations/:id/resend", "invitation:manage", s.resendInvitation},
		{"POST", "/admin/invitations/:id/revoke", "invitation:manage", s.revokeInvitation},
		{"GET", "/admin/caseloads", "caseload:view_all", s.caseloadsPage},
		{"GET", "/caseload", "caseload:view_own", s.caseloadPage},
		{"GET", "/invitations/:token", public, s.invitationPage},
		{"POST", "/invitations/:token", public, s.acceptInvitation},
	}
}

// clinicAPIRoutes are the clinic area's API endpoints.
func (s *Server) clinicAPIRoutes() []route {
	return []route{
		{"GET", "/counselors", "counselor:list", s.apiCounselors},
		{"POST", "/counselors", "counselor:invite", s.apiInviteCounselor},
		{"GET", "/counselors/:id", "counselor:list", s.apiCounselor},
		{"PATCH", "/counselors/:id", "counselor:manage", s.apiPatchCounselor},
		{"POST", "/counselors/:id/password-reset", "invitation:manage", s.apiCounselorPasswordReset},
		{"GET", "/couples", "couple:list", s.apiCouples},
		{"POST", "/couples", "couple:create", s.apiCreateCouple},
		// Admins see any couple of the clinic, counselors their own, clients
		// the one they belong to: checked per object in clinic.Service.Couple.
		{"GET", "/couples/:id", "couple:read|couple:read_own", s.apiCouple},
		{"PATCH", "/couples/:id", "couple:manage", s.apiPatchCouple},
		// The couple's own counselor only (checked in assignment.CoupleTimeline).
		{"GET", "/couples/:id/timeline", "couple:timeline", s.apiCoupleTimeline},
		{"POST", "/couples/:id/partners/:partner_id/invitation", "invitation:manage", s.apiReissuePartner},
		{"POST", "/couples/:id/partners/:partner_id/password-reset", "invitation:manage", s.apiPartnerPasswordReset},
		{"POST", "/invitations/:token/accept", public, s.apiAcceptInvitation},
		{"POST", "/invitation-links/:id/resend", "invitation:manage", s.apiResendInvitation},
		{"DELETE", "/invitation-links/:id", "invitation:manage", s.apiRevokeInvitation},
		{"GET", "/caseload", "caseload:view_own", s.apiCaseload},
		{"GET", "/caseloads", "caseload:view_all", s.apiCaseloads},
	}
}
