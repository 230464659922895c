package web

// assignmentPageRoutes are the pages where exercises are assigned,
// completed and reviewed.
func (s *Server) assignmentPageRoutes() []route {
	return []route{
		{"GET", "/assign", "assignment:create", s.assignFromTemplate},
		{"GET", "/couples/:id/assign", "assignment:create", s.assignPage},
		{"POST", "/couples/:id/assign", "assignment:create", s.assignSubmit},
		{"GET", "/assignments/:id", "assignment:read", s.assignmentPage},
		{"POST", "/assignments/:id", "assignment:update", s.assignmentUpdate},
		{"GET", "/responses/:id", "response:read", s.responsePage},
		{"POST", "/responses/:id", "response:write", s.responseAction},
		{"POST", "/responses/:id/autosave", "response:write", s.responseAutosave},
		{"POST", "/responses/:id/review", "response:review", s.responseReview},
		{"GET", "/responses/:id/print", "response:read", s.responsePrint},
		{"GET", "/responses/:id/submissions/:sub", "response:read", s.responseSnapshot},
		{"GET", "/review", "review_queue:view", s.reviewQueuePageHandler},
		{"GET", "/couples/:id/checkins.svg", "response:read", s.checkinChart},
	}
}

// assignmentAPIRoutes are the assignment endpoints under /api/v1.
func (s *Server) assignmentAPIRoutes() []route {
	return []route{
		{"POST", "/couples/:id/assignments", "assignment:create", s.apiCreateAssignment},
		{"GET", "/assignments", "assignment:read", s.apiListAssignments},
		{"GET", "/assignments/:id", "assignment:read", s.apiGetAssignment},
		{"PATCH", "/assignments/:id", "assignment:update", s.apiPatchAssignment},
		{"GET", "/responses/:id", "response:read", s.apiGetResponse},
		{"GET", "/responses/:id/submissions/:sub", "response:read", s.apiResponseSnapshot},
		{"PUT", "/responses/:id", "response:write", s.apiSaveResponse},
		{"POST", "/responses/:id/share", "response:write", s.apiShareResponse},
		{"POST", "/responses/:id/sign", "response:write", s.apiSignResponse},
		{"POST", "/responses/:id/submit", "response:write", s.apiSubmitResponse},
		{"POST", "/responses/:id/review", "response:review", s.apiReviewResponse},
		{"GET", "/review-queue", "review_queue:view", s.apiReviewQueue},
		{"GET", "/couples/:id/checkins", "response:read", s.apiCheckins},
		{"GET", "/counts", signedIn, s.apiCounts},
	}
}
