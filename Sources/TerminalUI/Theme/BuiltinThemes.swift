/// The themes compiled into the binary, so it works with no theme files installed.
public enum BuiltinThemes {
    /// The text of `themes/default.theme`, compiled in (a test keeps the two identical).
    public static let defaultText = #"""
# ringside default theme (256 colours). Format: role = FOREGROUND [on BACKGROUND] [attributes]
# Colours: default, black..white, bright-black..bright-white, 0-255, #rrggbb.
# Attributes: bold dim underline reverse italic. Roles left out keep the compiled-in default.
name = default
normal = default on default
dim = 245
title = 231 on 24 bold
header = 252 on 238 bold
border = 240
status = 252 on 236
status.accent = 222 on 236 bold
ruler.text = 250
ruler.tick = 244
lane.label = 252 bold
lane.idle = 238 on 235
lane.text = 16
lane.density = 79
lost = 203 on 52
cursor = 226 bold
marker.a = 45 bold
marker.b = 213 bold
selected = 16 on 117
selected.unfocused = 16 on 110
list.time = 250
list.cpu = 180
list.task = 150
event.name = 117
list.lost = 203 bold
field.key = 110
field.value = 252
bookmark = 214 bold
match = 16 on 222
error = 231 on 124 bold
prompt = 231 on 24
help.key = 222 bold
progress = 16 on 108
task.0 = 75 on 75
task.1 = 114 on 114
task.2 = 215 on 215
task.3 = 176 on 176
task.4 = 80 on 80
task.5 = 222 on 222
task.6 = 204 on 204
task.7 = 147 on 147

"""#

    /// The compiled-in default theme (256 colours; degrades to 16, 8 or no colours).
    public static let `default`: Theme = {
        let empty = Theme(name: "default", styles: [:])
        return (try? ThemeParser.parse(defaultText, file: "default.theme", base: empty)) ?? empty
    }()
}

extension Theme {
    /// True when the task roles have distinct colours in `mode`, so lanes can colour tasks; otherwise
    /// lanes draw tasks with block characters.
    public func hasTaskColors(in mode: ColorMode) -> Bool {
        guard mode != .none else { return false }
        let colours = Set(StyleRole.taskRoles.map { self[$0].background.index(for: mode) })
        return colours.count > 1 && !colours.contains(nil)
    }
}
