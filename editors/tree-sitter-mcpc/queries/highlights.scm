; Neovim (nvim-treesitter) and Zed capture names.
(comment) @comment

(block kind: (identifier) @keyword)
(block label: (_) @label)

(attribute key: (_) @property)

; Each node gets one capture, so that Neovim (the last pattern wins) and
; tree-sitter-highlight (the first wins) agree: labels and keys are not
; @string.
(attribute value: (string) @string)
(list (string) @string)
(escape_sequence) @string.escape
(interpolation) @embedded

(number) @number
(boolean) @boolean

(reference namespace: (identifier) @variable.builtin)
(reference name: (identifier) @variable)

(attribute value: (identifier) @constant)
(list (identifier) @constant)

["{" "}" "[" "]"] @punctuation.bracket
"=" @operator
"," @punctuation.delimiter
