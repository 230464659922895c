package web

// clinicPageRoutes are the clinic area's pages.
func (s *Server) clinicPageRoutes() []route {
	return []route{}
}

// clinicAPIRoutes are the clinic area's API endpoints.
func (s *Server) clinicAPIRoutes() []route {
	return []route{}
}
