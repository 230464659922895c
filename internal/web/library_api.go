package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/paging"
)

// library returns the library service (stateless; built on demand).
func libraryFilter(c echo.Context) (library.Filter, error) {
	f := library.Filter{Category: c.QueryParam("category"), Mode: c.QueryParam("mode"), Q: c.QueryParam("q"),
		After: c.QueryParam("after"), Archived: c.QueryParam("archived") == "1"}
	var err error
	f.Limit, err = listLimit(c)
	return f, err
}

func (s *Server) apiTemplates(c echo.Context) error {
	f, err := libraryFilter(c)
	if err != nil {
		return err
	}
	p, err := s.Library.List(c.Request().Context(), mustActor(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, paging.Page[library.Summary]{Items: p.Items, Next: p.Next})
}

func (s *Server) apiTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Library.Get(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) apiTemplateVersion(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n <= 0 {
		return apperr.New(apperr.NotFound, "That version of the exercise does not exist.")
	}
	d, err := s.Library.Version(c.Request().Context(), mustActor(c), id, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) apiCreateTemplate(c echo.Context) error {
	var in library.Draft
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := s.Library.Create(c.Request().Context(), mustActor(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/exercise-templates/"+itoa(d.ID))
	return c.JSON(http.StatusCreated, d)
}

func (s *Server) apiUpdateTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in library.Draft
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := s.Library.Update(c.Request().Context(), mustActor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// apiPatchTemplate changes a template's settings by JSON Merge Patch:
// needs_review and visibility, which add no version. Its content changes
// with PUT (a new version); members of a GET sent back are ignored.
func (s *Server) apiPatchTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	st := library.Settings{NeedsReview: pr.boolean("needs_review"), Visibility: pr.str("visibility", false)}
	for _, k := range []string{"title", "category", "description", "instructions", "suggested_mode", "audience", "sections"} {
		if _, ok := pr.member(k); ok {
			pr.fields[k] = "Change the exercise's content with PUT: it makes a new version."
		}
	}
	pr.ignore("id", "slug", "mine", "archived_at", "current_version", "version", "private", "recurring", "measure",
		"change_note", "created_at", "versions")
	if err := pr.done(); err != nil {
		return err
	}
	d, err := s.Library.Patch(c.Request().Context(), mustActor(c), id, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) apiCloneTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Library.Clone(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/exercise-templates/"+itoa(d.ID))
	return c.JSON(http.StatusCreated, d)
}

func (s *Server) apiArchiveTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Library.Archive(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// apiRestoreTemplate brings an archived template of the caller's back.
func (s *Server) apiRestoreTemplate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Library.Restore(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
