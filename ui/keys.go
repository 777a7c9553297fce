package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the interface answers to. It is the single source
// for the handlers (key.Matches), the one-line hint bar and the full help,
// so the three cannot drift apart. Bindings that do not apply in the
// current context are disabled (and so drop out of help) by
// (*Model).syncKeys.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Focus, Back                             key.Binding
	Tabs                                    key.Binding // 1–5
	Pair, Mark, OnlyMarked, UnmarkAll       key.Binding
	FwPrev, FwNext, Copy                    key.Binding

	Filter, Follow, Pause, Clear, Export, Browser key.Binding
	Help, Quit                                    key.Binding

	// Yes and No answer a confirmation.
	Yes, No key.Binding
}

// DefaultKeyMap returns corscope's keys, close to mitmproxy's console
// (peers.md §3) where the two overlap.
func DefaultKeyMap() KeyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return KeyMap{
		Up:       b(k("k", "up"), h("↑/k", "up")),
		Down:     b(k("j", "down"), h("↓/j", "down")),
		PageUp:   b(k("pgup", "ctrl+b"), h("pgup", "page up")),
		PageDown: b(k("pgdown", "ctrl+f", "space"), h("pgdn", "page down")),
		Top:      b(k("g", "home"), h("g", "first")),
		Bottom:   b(k("G", "end"), h("G", "last")),
		Focus:    b(k("enter", "tab", "shift+tab"), h("enter/tab", "details ↔ list")),
		Back:     b(k("esc"), h("esc", "back / clear filter")),
		Tabs:     b(k("1", "2", "3", "4", "5"), h("1-5", "tabs")),
		Pair:     b(k("P"), h("P", "preflight ↔ actual")),
		Mark:     b(k("m"), h("m", "mark / unmark")),
		// M and U as in mitmproxy: show only marked, clear all marks.
		OnlyMarked: b(k("M"), h("M", "only marked ↔ all")),
		UnmarkAll:  b(k("U"), h("U", "unmark all")),
		FwPrev:     b(k("h", "left"), h("←/h", "framework")),
		FwNext:     b(k("l", "right"), h("→/l", "framework")),
		Copy:       b(k("y"), h("y", "copy fix")),

		Filter:  b(k("/"), h("/", "filter")),
		Follow:  b(k("F"), h("F", "follow newest")),
		Pause:   b(k("p"), h("p", "pause capture")),
		Clear:   b(k("c"), h("c", "clear flows")),
		Export:  b(k("e"), h("e", "export HAR")),
		Browser: b(k("B"), h("B", "launch browser")),
		Help:    b(k("?"), h("?", "help")),
		Quit:    b(k("q", "ctrl+c"), h("q", "quit")),

		Yes: b(k("y", "Y", "enter"), h("y", "yes")),
		No:  b(k("n", "N", "esc"), h("n", "no")),
	}
}

// ShortHelp is the hint bar for the list.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Down, k.Focus, k.Tabs, k.Filter, k.Help, k.Quit}
}

// FullHelp is the `?` screen, by topic.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Follow, k.Pair},
		{k.Focus, k.Back, k.Tabs, k.FwPrev, k.FwNext, k.Copy, k.Filter, k.Help},
		{k.Mark, k.OnlyMarked, k.UnmarkAll, k.Pause, k.Clear, k.Export, k.Browser, k.Quit},
	}
}

// detailHelp is the hint bar while the detail pane has focus.
type detailHelp struct{ k *KeyMap }

func (d detailHelp) ShortHelp() []key.Binding {
	k := d.k
	return []key.Binding{k.Down, k.Tabs, k.Pair, k.FwNext, k.Copy, k.Back, k.Help}
}

func (d detailHelp) FullHelp() [][]key.Binding { return d.k.FullHelp() }
