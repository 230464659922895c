package assignment

// One word per state: every page shows a piece of work's state through
// State.Label (the templates' stateLabel), and the API gives the same word
// as "status_label", so "revision requested" is never "revise" on another
// page and the counselor never reads "draft" where the client reads "not
// started". docs/architecture.md ("States and their words") has the table.
//
// What differs between viewers is which State they are given, never the
// word for it: the authors of a response know whether they have started
// it (not started, in progress); its counselor and the clinic's admins
// must not learn of drafting, so both are "not submitted" to them; the
// other partner learns only "to do" or "done" (coarseState). stateFor
// picks the State per caller.

// State is a piece of work's state as one viewer is shown it.
type State string

// The states of a response, as each viewer is shown them.
const (
	// Only the response's authors: the draft before and after its first save.
	StateNotStarted State = "not_started"
	StateInProgress State = "in_progress"
	// Staff (the counselor, an admin): any draft, started or not.
	StateNotSubmitted State = "not_submitted"
	// Authors and staff alike.
	StateSubmitted         State = "submitted"
	StateRevisionRequested State = "revision_requested"
	StateAccepted          State = "accepted"
	// The other partner, of one partner's own work (coarseState): to do
	// until first submitted, done from then on, whatever happens later.
	StateToDo State = "to_do"
	StateDone State = "done"
)

// The states of an assignment.
const (
	StateActive    State = "active"
	StateWithdrawn State = "withdrawn" // status "cancelled"
)

var stateLabels = map[State]string{
	StateNotStarted:        "not started",
	StateInProgress:        "in progress",
	StateNotSubmitted:      "not submitted",
	StateSubmitted:         "submitted",
	StateRevisionRequested: "revision requested",
	StateAccepted:          "accepted",
	StateToDo:              "to do",
	StateDone:              "done",
	StateActive:            "active",
	StateWithdrawn:         "withdrawn",
}

// Label is the one word pages and the API use for the state ("" for a
// value that is not a state: the template function refuses it).
func (s State) Label() string { return stateLabels[s] }

// Known reports whether s is one of the states above.
func (s State) Known() bool { _, ok := stateLabels[s]; return ok }

// States lists every state, for the docs and their test.
func States() []State {
	return []State{StateNotStarted, StateInProgress, StateNotSubmitted, StateSubmitted, StateRevisionRequested,
		StateAccepted, StateToDo, StateDone, StateActive, StateWithdrawn}
}

// authorState is a response's state for its authors, who know whether
// they have started it.
func authorState(status string, started bool) State {
	if status == Draft {
		if started {
			return StateInProgress
		}
		return StateNotStarted
	}
	return staffState(status)
}

// staffState is a response's state for its counselor and the clinic's
// admins: a draft is "not submitted", started or not.
func staffState(status string) State {
	switch status {
	case Submitted:
		return StateSubmitted
	case RevisionRequested:
		return StateRevisionRequested
	case Accepted:
		return StateAccepted
	}
	return StateNotSubmitted
}

// stateFor is r's state as the caller may know it: its authors their
// own progress, the other partner the coarse state, staff never drafting.
func (acc access) stateFor(r Response) State {
	switch {
	case acc.mine(r):
		return authorState(r.Status, r.StartedAt.Valid)
	case acc.othersResponse(r):
		return coarseState(r)
	}
	return staffState(r.Status)
}

// AssignmentState is an assignment's own state, from its status: active
// or withdrawn ("cancelled").
func AssignmentState(status string) State {
	if status == StatusCancelled {
		return StateWithdrawn
	}
	return StateActive
}
