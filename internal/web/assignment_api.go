package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/paging"
)

// listLimit reads ?limit= by the one rule every list follows (default 50,
// max 200).
func listLimit(c echo.Context) (int, error) {
	return paging.ParseLimit(c.QueryParam("limit"))
}

// assignmentInput is the API body for a new assignment; dates are parsed
// here so a bad one is a field error, not a malformed body.
type assignmentInput struct {
	TemplateID   int64  `json:"template_id"`
	Mode         string `json:"mode"`
	PartnerID    int64  `json:"partner_id"`
	Reveal       string `json:"reveal"`
	ReplyTo      int64  `json:"reply_to"`
	DueAt        string `json:"due_at"`
	Due          string `json:"due"` // "next_session" instead of due_at
	Instructions string `json:"instructions"`
	// ReviewBeforeSharing: the authors share only once accepted.
	ReviewBeforeSharing bool `json:"review_before_sharing"`
	// DuplicateOK: assign recurring work again although it is active.
	DuplicateOK bool `json:"duplicate_ok"`
	Recurrence  *struct {
		Every string `json:"every"`
		Until string `json:"until"`
	} `json:"recurrence"`
}

func (in assignmentInput) toNew() (assignment.NewAssignment, error) {
	out := assignment.NewAssignment{TemplateID: in.TemplateID, Mode: in.Mode, PartnerID: in.PartnerID, Reveal: in.Reveal,
		ReplyTo: in.ReplyTo, Instructions: in.Instructions, ReviewBeforeSharing: in.ReviewBeforeSharing, DuplicateOK: in.DuplicateOK}
	if in.DueAt != "" {
		t, err := time.Parse(time.RFC3339, in.DueAt)
		if err != nil {
			return out, apperr.Fields("due_at must be an RFC 3339 time.", map[string]string{"due_at": "Use an RFC 3339 time such as 2026-12-01T18:00:00Z."})
		}
		out.DueAt = &t
	}
	if in.Recurrence != nil {
		out.Recurrence = &struct {
			Every string `json:"every"`
			Until string `json:"until"`
		}{in.Recurrence.Every, in.Recurrence.Until}
	}
	return out, nil
}

func (s *Server) apiCreateAssignment(c echo.Context) error {
	coupleID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in assignmentInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n, err := in.toNew()
	if err != nil {
		return err
	}
	if err := s.applyDue(c, coupleID, in.Due, in.DueAt != "", &n); err != nil {
		return err
	}
	asg, err := s.Assignments.Create(c.Request().Context(), mustActor(c), coupleID, n)
	if err != nil {
		return err
	}
	d, err := s.Assignments.Get(c.Request().Context(), mustActor(c), asg.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

func (s *Server) apiListAssignments(c echo.Context) error {
	limit, err := listLimit(c)
	if err != nil {
		return err
	}
	f := assignment.ListFilter{Status: c.QueryParam("status"), Limit: limit + 1}
	if v := c.QueryParam("couple_id"); v != "" {
		if f.CoupleID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return apperr.New(apperr.BadRequest, "couple_id must be a number.")
		}
	}
	if f.After, err = paging.DecodeID(c.QueryParam("after")); err != nil {
		return err
	}
	items, err := s.Assignments.List(c.Request().Context(), mustActor(c), f)
	if err != nil {
		return err
	}
	out := paging.Page[assignment.Summary]{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		out.Next = paging.EncodeID(items[limit-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetAssignment(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Assignments.Get(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	if counselor, _, partner := d.Access(); !counselor && partner == 0 {
		// Admins get statuses and dates: no fields, no answers, no comments.
		for i := range d.Responses {
			d.Responses[i].Feedback = nil
		}
		return c.JSON(http.StatusOK, map[string]any{"assignment": d.Assignment, "responses": d.Responses})
	}
	return c.JSON(http.StatusOK, d)
}

// apiPatchAssignment applies a JSON Merge Patch (see patch.go): due_at and
// instructions may be removed with null, review_before_sharing and status
// may not.
func (s *Server) apiPatchAssignment(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	ch := assignment.Change{
		DueAt:               pr.instant("due_at", true),
		Instructions:        pr.str("instructions", true),
		ReviewBeforeSharing: pr.boolean("review_before_sharing"),
		Status:              pr.str("status", false),
	}
	pr.ignore("id", "clinic_id", "couple_id", "couple_label", "template_id", "template_version", "template_title", "private_to_counselor",
		"measure", "mode", "partner_id", "reveal", "reply_to", "recurrence", "needs_review", "created_at", "updated_at")
	if err := pr.done(); err != nil {
		return err
	}
	asg, err := s.Assignments.Update(c.Request().Context(), mustActor(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, asg)
}

func (s *Server) apiGetResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, rv, err := s.Assignments.GetResponse(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	if err := s.Assignments.MarkFeedbackRead(c.Request().Context(), mustActor(c), rv); err != nil {
		return err
	}
	body := map[string]any{"assignment": d.Assignment, "schema": d.Schema, "response": rv}
	if d.ReplyOf != nil {
		body["reply_of"] = d.ReplyOf
	}
	return c.JSON(http.StatusOK, body)
}

// apiResponseSnapshot returns one kept submission of a response.
func (s *Server) apiResponseSnapshot(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sub, err := pathID(c, "sub")
	if err != nil {
		return err
	}
	d, _, snap, err := s.Assignments.Snapshot(c.Request().Context(), mustActor(c), id, sub)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"assignment": d.Assignment, "schema": d.Schema, "submission": snap})
}

func (s *Server) apiSaveResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Answers map[string]any `json:"answers"`
		Version int            `json:"version"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Version == 0 {
		return apperr.Fields("version is required: the version your answers are based on.", map[string]string{"version": "Required."})
	}
	saved, err := s.Assignments.SaveDraft(c.Request().Context(), mustActor(c), id, in.Answers, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

func (s *Server) apiShareResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Shared *bool `json:"shared"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Shared == nil {
		return apperr.Fields("shared is required (true or false).", map[string]string{"shared": "Required."})
	}
	if err := s.Assignments.Share(c.Request().Context(), mustActor(c), id, *in.Shared); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"shared": *in.Shared})
}

func (s *Server) apiSignResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Version *int `json:"version"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	version := 0 // missing: the service answers 422 naming the field, once it knows the caller writes this response
	if in.Version != nil {
		version = *in.Version
	}
	sigs, err := s.Assignments.Sign(c.Request().Context(), mustActor(c), id, version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"signatures": sigs})
}

func (s *Server) apiSubmitResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// {"shared": true} shares this submission with the other partner; a
	// body is optional, and without one nothing new is shared: a share
	// covers the text that was shared, never a later one by itself.
	var in struct {
		Shared *bool `json:"shared"`
	}
	if c.Request().Header.Get(echo.HeaderContentType) != "" {
		if err := bindJSON(c, &in); err != nil {
			return err
		}
	}
	share := in.Shared != nil && *in.Shared
	if err := s.Assignments.SubmitShared(c.Request().Context(), mustActor(c), id, share); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": assignment.Submitted, "shared": share})
}

func (s *Server) apiReviewResponse(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Comment  string `json:"comment"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	// The next item waiting in the queue, in the filter of the query
	// (?couple_id=&partner_id=&template_id=), checked before the review.
	ctx, a := c.Request().Context(), mustActor(c)
	f, err := parseQueueFilter(c.QueryParam)
	if err != nil {
		return err
	}
	if err := s.Assignments.CheckQueueFilter(ctx, a, f); err != nil {
		return err
	}
	if err := s.Assignments.Review(ctx, a, id, in.Decision, in.Comment); err != nil {
		return err
	}
	status := assignment.Accepted
	if in.Decision == "revise" {
		status = assignment.RevisionRequested
	}
	var next *int64
	it, err := s.Assignments.NextAfterReview(ctx, a, f, id)
	if err != nil {
		return err
	}
	if it != nil {
		next = &it.ResponseID
	}
	return c.JSON(http.StatusOK, map[string]any{"status": status, "next": next})
}

// queueCursorV is a review-queue position with the filter it belongs to,
// so following "next" alone keeps the filter.
type queueCursorV struct {
	C bool  `json:"c"` // the last item was a concerning safety check
	T int64 `json:"t"` // its submitted_at, in microseconds
	I int64 `json:"i"` // its response id
	P int64 `json:"p,omitempty"`
	K int64 `json:"k,omitempty"`
	E int64 `json:"e,omitempty"`
}

// queueCursor encodes a review-queue position opaquely (paging's cursor).
func queueCursor(it assignment.QueueItem, f assignment.QueueFilter) string {
	return paging.EncodeCursor(queueCursorV{C: it.Concern, T: it.SubmittedAt.UnixMicro(), I: it.ResponseID,
		K: f.CoupleID, P: f.PartnerID, E: f.TemplateID})
}

func parseQueueCursor(v string) (*assignment.Cursor, assignment.QueueFilter, error) {
	if v == "" {
		return nil, assignment.QueueFilter{}, nil
	}
	var c queueCursorV
	if err := paging.DecodeCursor(v, &c); err != nil {
		return nil, assignment.QueueFilter{}, err
	}
	if c.I <= 0 || c.T < 0 || c.K < 0 || c.P < 0 || c.E < 0 {
		return nil, assignment.QueueFilter{}, paging.ErrBadCursor
	}
	return &assignment.Cursor{Concern: c.C, At: time.UnixMicro(c.T), ID: c.I},
		assignment.QueueFilter{CoupleID: c.K, PartnerID: c.P, TemplateID: c.E}, nil
}

// queueFilterParams are the query (or form) names of the queue's filter.
var queueFilterParams = [...]string{"couple_id", "partner_id", "template_id"}

// parseQueueFilter reads the queue's filter: each an id, or empty for any
// (400 otherwise).
func parseQueueFilter(get func(string) string) (assignment.QueueFilter, error) {
	var ids [3]int64
	for i, name := range queueFilterParams {
		v := strings.TrimSpace(get(name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return assignment.QueueFilter{}, apperr.New(apperr.BadRequest, "%s must be the id of one of your couples, partners or exercises.", name)
		}
		ids[i] = n
	}
	return assignment.QueueFilter{CoupleID: ids[0], PartnerID: ids[1], TemplateID: ids[2]}, nil
}

// queueFilterQuery is the filter as query parameters ("" when empty).
func queueFilterQuery(f assignment.QueueFilter) url.Values {
	q := url.Values{}
	for i, n := range [...]int64{f.CoupleID, f.PartnerID, f.TemplateID} {
		if n != 0 {
			q.Set(queueFilterParams[i], strconv.FormatInt(n, 10))
		}
	}
	return q
}

// reviewQueuePage loads one page of the queue, its next cursor and the
// filter. A cursor carries its filter: parameters left out are taken from
// it, and ones that contradict it are a 400.
func (s *Server) reviewQueuePage(c echo.Context) ([]assignment.QueueItem, *string, assignment.QueueFilter, error) {
	limit, err := listLimit(c)
	if err != nil {
		return nil, nil, assignment.QueueFilter{}, err
	}
	f, err := parseQueueFilter(c.QueryParam)
	if err != nil {
		return nil, nil, f, err
	}
	after, cf, err := parseQueueCursor(c.QueryParam("after"))
	if err != nil {
		return nil, nil, f, err
	}
	if after != nil {
		for _, p := range [...]struct{ got, was *int64 }{{&f.CoupleID, &cf.CoupleID}, {&f.PartnerID, &cf.PartnerID}, {&f.TemplateID, &cf.TemplateID}} {
			switch {
			case *p.got == 0:
				*p.got = *p.was
			case *p.got != *p.was:
				return nil, nil, f, apperr.New(apperr.BadRequest, "after belongs to another filter: start again from the first page.")
			}
		}
	}
	items, err := s.Assignments.Queue(c.Request().Context(), mustActor(c), f, after, limit+1)
	if err != nil {
		return nil, nil, f, err
	}
	var next *string
	if len(items) > limit {
		items = items[:limit]
		v := queueCursor(items[limit-1], f)
		next = &v
	}
	return items, next, f, nil
}

func (s *Server) apiReviewQueue(c echo.Context) error {
	items, next, _, err := s.reviewQueuePage(c)
	if err != nil {
		return err
	}
	p := paging.Page[assignment.QueueItem]{Items: items}
	if next != nil {
		p.Next = *next
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) apiCheckins(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	series, err := s.Assignments.Checkins(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"series": series})
}

func (s *Server) apiCounts(c echo.Context) error {
	counts, err := s.Assignments.CountsFor(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, counts)
}
