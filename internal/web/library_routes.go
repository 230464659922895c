package web

// libraryPageRoutes are the library area's pages.
func (s *Server) libraryPageRoutes() []route {
	return []route{
		{"GET", "/library", "template:read", s.libraryPage},
		{"GET", "/library/new", "template:write", s.libraryNewPage},
		{"POST", "/library/new", "template:write", s.libraryNewPost},
		{"GET", "/library/:id", "template:read", s.libraryTemplatePage},
		{"GET", "/library/:id/print", "template:read", s.libraryPrintPage},
		{"GET", "/library/:id/versions/:n", "template:read", s.libraryVersionPage},
		{"GET", "/library/:id/versions/:n/print", "template:read", s.libraryPrintPage},
		{"GET", "/library/:id/edit", "template:write", s.libraryEditPage},
		{"POST", "/library/:id/edit", "template:write", s.libraryEditPost},
		{"POST", "/library/:id/clone", "template:write", s.libraryClonePost},
		{"POST", "/library/:id/archive", "template:write", s.libraryArchivePost},
		{"POST", "/library/:id/restore", "template:write", s.libraryRestorePost},
	}
}

// libraryAPIRoutes are the library area's API endpoints.
func (s *Server) libraryAPIRoutes() []route {
	return []route{
		{"GET", "/exercise-templates", "template:read", s.apiTemplates},
		{"POST", "/exercise-templates", "template:write", s.apiCreateTemplate},
		{"GET", "/exercise-templates/:id", "template:read", s.apiTemplate},
		{"PUT", "/exercise-templates/:id", "template:write", s.apiUpdateTemplate},
		{"PATCH", "/exercise-templates/:id", "template:write", s.apiPatchTemplate},
		{"GET", "/exercise-templates/:id/versions/:n", "template:read", s.apiTemplateVersion},
		{"POST", "/exercise-templates/:id/clone", "template:write", s.apiCloneTemplate},
		{"POST", "/exercise-templates/:id/archive", "template:write", s.apiArchiveTemplate},
		{"POST", "/exercise-templates/:id/restore", "template:write", s.apiRestoreTemplate},
	}
}
