package web

import (
	"fmt"
	"html/template"
	"text/template/parse"
)

// timeArity is how many arguments each time function takes: the zone and
// the instant, or (day) the date alone.
var timeArity = map[string]int{"date": 2, "datetime": 2, "datetimez": 2, "day": 1}

// checkTimeCalls refuses, at start-up, a template that calls a time
// function without its zone ({{datetime .At}} instead of
// {{datetime $.Loc .At}}): executed, it would fail only on the page and
// branch that reach it.
func checkTimeCalls(t *template.Template) error {
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		if err := (timeCheck{tt.Tree}).node(tt.Tree.Root); err != nil {
			return err
		}
	}
	return nil
}

type timeCheck struct{ tree *parse.Tree }

func (c timeCheck) node(n parse.Node) error {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return nil
		}
		for _, sub := range x.Nodes {
			if err := c.node(sub); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return c.pipe(x.Pipe)
	case *parse.IfNode:
		return c.branch(&x.BranchNode)
	case *parse.RangeNode:
		return c.branch(&x.BranchNode)
	case *parse.WithNode:
		return c.branch(&x.BranchNode)
	case *parse.TemplateNode:
		return c.pipe(x.Pipe)
	}
	return nil
}

func (c timeCheck) branch(b *parse.BranchNode) error {
	if err := c.pipe(b.Pipe); err != nil {
		return err
	}
	if err := c.node(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return c.node(b.ElseList)
	}
	return nil
}

func (c timeCheck) pipe(p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	for i, cmd := range p.Cmds {
		if len(cmd.Args) == 0 {
			continue
		}
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
			if want, ok := timeArity[id.Ident]; ok {
				got := len(cmd.Args) - 1
				if i > 0 { // the previous command's value is piped in last
					got++
				}
				if got != want {
					loc, _ := c.tree.ErrorContext(id)
					return fmt.Errorf("%s: %s takes %d arguments, got %d (times need the page's zone: {{%s $.Loc .At}}; a date column: {{day .On}})",
						loc, id.Ident, want, got, id.Ident)
				}
			}
		}
		for _, a := range cmd.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				if err := c.pipe(sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
