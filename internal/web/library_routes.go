package web

// libraryPageRoutes are the library area's pages.
func (s *Server) libraryPageRoutes() []route {
	return []route{}
}

// libraryAPIRoutes are the library area's API endpoints.
func (s *Server) libraryAPIRoutes() []route {
	return []route{}
}
