package template

import "text/template/parse"

// inspect calls f for n and then, when f returns true, for each node below it, depth
// first in the order of the source, as go/ast.Inspect does for Go (text/template/parse
// has no walker of its own). The declarations of a pipeline ({{$x := …}}) are not
// visited: a caller that cares looks at PipeNode.Decl.
func inspect(n parse.Node, f func(parse.Node) bool) {
	switch n := n.(type) {
	case nil:
		return
	case *parse.ListNode:
		if n == nil || !f(n) {
			return
		}
		for _, c := range n.Nodes {
			inspect(c, f)
		}
	case *parse.PipeNode:
		if n == nil || !f(n) {
			return
		}
		for _, c := range n.Cmds {
			inspect(c, f)
		}
	default:
		if !f(n) {
			return
		}
		switch n := n.(type) {
		case *parse.ActionNode:
			inspect(n.Pipe, f)
		case *parse.CommandNode:
			for _, a := range n.Args {
				inspect(a, f)
			}
		case *parse.ChainNode:
			inspect(n.Node, f)
		case *parse.IfNode:
			inspectBranch(&n.BranchNode, f)
		case *parse.RangeNode:
			inspectBranch(&n.BranchNode, f)
		case *parse.WithNode:
			inspectBranch(&n.BranchNode, f)
		case *parse.TemplateNode:
			inspect(n.Pipe, f)
		}
	}
}

func inspectBranch(b *parse.BranchNode, f func(parse.Node) bool) {
	inspect(b.Pipe, f)
	inspect(b.List, f)
	inspect(b.ElseList, f)
}
