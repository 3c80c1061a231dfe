// TerminalUI target: placeholder until the module lands.
