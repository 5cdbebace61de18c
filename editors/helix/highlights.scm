; Helix capture names (runtime/queries/mcpc/highlights.scm).
(comment) @comment

(block kind: (identifier) @keyword)
(block label: (_) @label)

(attribute key: (_) @variable.other.member)

; One capture per node (see the tree-sitter queries): labels and keys are
; not @string.
(attribute value: (string) @string)
(list (string) @string)
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
