package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/clinic"
)

// invitationPage shows an invitation: the clinic, the role, and the form
// to choose a password (or to confirm an existing account's password).
// Invalid, expired, used or revoked links get a plain explanation.
func (s *Server) invitationPage(c echo.Context) error {
	info, err := s.Clinic.InvitationByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.invitationProblem(c, err)
	}
	return s.render(c, http.StatusOK, "invitation", page{Title: "Join " + info.ClinicName,
		Form: map[string]string{"name": info.Name}, Data: invitationData(c, info)})
}

func invitationData(c echo.Context, info clinic.InvitationInfo) map[string]any {
	return map[string]any{"Info": info, "Action": "/invitations/" + c.Param("token")}
}

// invitationProblem renders the "this link cannot be used" page for 404
// and 410 answers, and passes other errors on.
func (s *Server) invitationProblem(c echo.Context, err error) error {
	ae, ok := apperr.As(err)
	if !ok || (ae.Code != apperr.Gone && ae.Code != apperr.NotFound) {
		return err
	}
	status := statusOf[ae.Code]
	return s.render(c, status, "invitation_invalid", page{Title: "Invitation cannot be used", Data: map[string]any{"Message": ae.Message}})
}

func (s *Server) acceptInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	in := clinic.Acceptance{Name: c.FormValue("name"), Password: c.FormValue("password"), Confirm: c.FormValue("confirm")}
	info, err := s.Clinic.InvitationByToken(ctx, token)
	if err != nil {
		return s.invitationProblem(c, err)
	}
	in.RequireConfirm = !info.HasAccount
	u, err := s.Clinic.Accept(ctx, baseActor(c), token, in)
	if apperr.Is(err, apperr.Invalid) {
		ae, _ := apperr.As(err)
		return s.render(c, http.StatusUnprocessableEntity, "invitation", page{Title: "Join " + info.ClinicName,
			Form: map[string]string{"name": in.Name}, Errors: ae.Fields, Error: ae.Message, Data: invitationData(c, info)})
	}
	if err != nil {
		return s.invitationProblem(c, err)
	}
	ms, err := s.afterLogin(ctx, c, u)
	if err != nil {
		return err
	}
	if err := s.signIn(c, u, ms); err != nil {
		return err
	}
	s.sessions.Put(ctx, "clinic_id", info.ClinicID) // land in the clinic that invited them
	s.flash(c, "Welcome to "+info.ClinicName+". Your account is ready.")
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) apiAcceptInvitation(c echo.Context) error {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := s.Clinic.Accept(c.Request().Context(), baseActor(c), c.Param("token"), clinic.Acceptance{Name: in.Name, Password: in.Password})
	if err != nil {
		return err
	}
	return s.issueToken(c, u)
}
