; Helix capture names (runtime/queries/mcpc/highlights.scm).
(comment) @comment

(block kind: (identifier) @keyword)
(block label: (_) @label)

(attribute key: (_) @variable.other.member)

(string) @string
(escape_sequence) @constant.character.escape
(interpolation) @special

(number) @constant.numeric
(boolean) @constant.builtin.boolean

(reference namespace: (identifier) @variable.builtin)
(reference name: (identifier) @variable)

(attribute value: (identifier) @constant)
(list (identifier) @constant)

["{" "}" "[" "]"] @punctuation.bracket
"=" @operator
"," @punctuation.delimiter
