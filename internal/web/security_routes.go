package web

// securityPageRoutes are the security area's pages.
func (s *Server) securityPageRoutes() []route {
	return []route{}
}

// securityAPIRoutes are the security area's API endpoints.
func (s *Server) securityAPIRoutes() []route {
	return []route{}
}
