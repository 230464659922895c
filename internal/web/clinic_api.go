package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/paging"
)

// invitationJSON is how the API hands a fresh invitation to the admin.
type invitationJSON struct {
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) invitationURL(token string) string {
	return s.Config.BaseURL + "/invitations/" + token
}

func (s *Server) invitationOut(inv clinic.Invitation) invitationJSON {
	return invitationJSON{Token: inv.Token, URL: s.invitationURL(inv.Token), ExpiresAt: inv.ExpiresAt}
}

func (s *Server) resetURL(token string) string {
	return s.Config.BaseURL + "/password-reset/" + token
}

// resetOut answers an admin-issued reset. Once mail really leaves the
// machine the link goes only to the person, so the answer carries no link
// or token (an admin who could copy it could take over the account).
// Without mail the admin copies it, as before.
func (s *Server) resetOut(r clinic.PasswordReset) map[string]any {
	if s.Config.MailDelivered() {
		return map[string]any{"reset": map[string]any{"expires_at": r.ExpiresAt, "mailed": true}}
	}
	return map[string]any{"reset": invitationJSON{Token: r.Token, URL: s.resetURL(r.Token), ExpiresAt: r.ExpiresAt}}
}

// apiCounselorPasswordReset issues a password-reset link for a counselor:
// 201 {"reset": {token, url, expires_at}}.
func (s *Server) apiCounselorPasswordReset(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.Clinic.IssueCounselorReset(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.resetOut(r))
}

// apiPartnerPasswordReset issues a password-reset link for a partner who
// has joined: 201 {"reset": {token, url, expires_at}}.
func (s *Server) apiPartnerPasswordReset(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(c, "partner_id")
	if err != nil {
		return err
	}
	r, err := s.Clinic.IssuePartnerReset(c.Request().Context(), mustActor(c), id, pid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.resetOut(r))
}

func (s *Server) apiCouples(c echo.Context) error {
	f, err := coupleFilter(c)
	if err != nil {
		return err
	}
	p, err := s.Clinic.ListCouples(c.Request().Context(), mustActor(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, paging.Page[clinic.Couple]{Items: p.Items, Next: p.Next})
}

// coupleFilter reads ?q=&counselor_id=&status=&limit=&after=.
func coupleFilter(c echo.Context) (clinic.CoupleFilter, error) {
	limit, err := paging.ParseLimit(c.QueryParam("limit"))
	if err != nil {
		return clinic.CoupleFilter{}, err
	}
	f := clinic.CoupleFilter{Q: c.QueryParam("q"), Status: c.QueryParam("status"), Limit: limit, After: c.QueryParam("after")}
	if v := c.QueryParam("counselor_id"); v != "" {
		if f.CounselorID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, apperr.New(apperr.BadRequest, "counselor_id must be a number.")
		}
	}
	return f, nil
}

type partnerOut struct {
	clinic.Partner
	Invitation *invitationJSON `json:"invitation,omitempty"`
}

type coupleOut struct {
	clinic.Couple
	Partners []partnerOut `json:"partners"`
}

func (s *Server) apiCreateCouple(c echo.Context) error {
	var in clinic.NewCouple
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a := mustActor(c)
	cp, invs, err := s.Clinic.CreateCouple(c.Request().Context(), a, in)
	if err != nil {
		return err
	}
	out := coupleOut{Couple: cp}
	for i, p := range cp.Partners {
		po := partnerOut{Partner: p}
		if i < len(invs) {
			io := s.invitationOut(invs[i])
			po.Invitation = &io
		}
		out.Partners = append(out.Partners, po)
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) apiCouple(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cp, err := s.Clinic.Couple(c.Request().Context(), mustActor(c), id) // blanks what the caller may not see
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) apiPatchCouple(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// A JSON Merge Patch (see patch.go): none of these may be removed; a
	// null reason is no reason.
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	in := clinic.CouplePatch{Label: pr.str("label", false), Status: pr.str("status", false),
		CounselorID: pr.integer("counselor_id", "Choose a counselor of the clinic by id."), Reason: pr.str("reason", true)}
	pr.ignore("id", "clinic_id", "counselor_name", "created_at", "updated_at", "last_activity_at", "partners")
	if err := pr.done(); err != nil {
		return err
	}
	cp, err := s.Clinic.UpdateCouple(c.Request().Context(), mustActor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) apiReissuePartner(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(c, "partner_id")
	if err != nil {
		return err
	}
	inv, err := s.Clinic.ReissuePartner(c.Request().Context(), mustActor(c), id, pid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"invitation": s.invitationOut(inv)})
}

func (s *Server) apiCounselors(c echo.Context) error {
	limit, err := paging.ParseLimit(c.QueryParam("limit"))
	if err != nil {
		return err
	}
	p, err := s.Clinic.CounselorPage(c.Request().Context(), mustActor(c), limit, c.QueryParam("after"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, paging.Page[clinic.Counselor]{Items: p.Items, Next: p.Next})
}

func (s *Server) apiInviteCounselor(c echo.Context) error {
	var in struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	inv, err := s.Clinic.InviteCounselor(c.Request().Context(), mustActor(c), in.Name, in.Email)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"name": inv.Name, "email": inv.Email, "status": "invited",
		"invitation_id": inv.ID, "invitation": s.invitationOut(inv)})
}

func (s *Server) apiCounselor(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	co, err := s.Clinic.Counselor(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, co)
}

func (s *Server) apiPatchCounselor(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// A JSON Merge Patch (see patch.go): active may not be null.
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	active := pr.boolean("active")
	pr.ignore("id", "invitation_id", "name", "email", "status", "couples", "awaiting_review", "overdue", "since",
		"invitation_expires_at", "invitation_expired")
	if err := pr.done(); err != nil {
		return err
	}
	ctx, a := c.Request().Context(), mustActor(c)
	if active != nil {
		if err := s.Clinic.SetCounselorActive(ctx, a, id, *active); err != nil {
			return err
		}
	} else if _, err := s.Clinic.Counselor(ctx, a, id); err != nil {
		return err
	}
	co, err := s.Clinic.Counselor(ctx, a, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, co)
}

func (s *Server) apiResendInvitation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, err := s.Clinic.Reissue(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"invitation_id": inv.ID, "invitation": s.invitationOut(inv)})
}

func (s *Server) apiRevokeInvitation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Clinic.RevokeInvitation(c.Request().Context(), mustActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiCaseload(c echo.Context) error {
	cs, err := s.Clinic.Caseload(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, paging.Page[clinic.CaseloadCouple]{Items: cs})
}

func (s *Server) apiCaseloads(c echo.Context) error {
	cl, err := s.Clinic.AllCaseloads(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	sessions, err := s.Appointments.ClinicCounts(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, caseloadsWithSessions{cl, sessions})
}
