/**
 * @file The mcpc language: blocks, attributes and values (docs/language.md).
 * @license Apache-2.0
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

module.exports = grammar({
  name: 'mcpc',

  extras: $ => [/\s/, $.comment],

  word: $ => $.identifier,

  rules: {
    source_file: $ => repeat($.block),

    // `kind label? { entries }`
    block: $ => seq(
      field('kind', $.identifier),
      optional(field('label', choice($.string, $.identifier))),
      '{',
      repeat(choice($.attribute, $.block)),
      '}',
    ),

    // `key = value`; the key is an identifier or a string.
    attribute: $ => seq(
      field('key', choice($.identifier, $.string)),
      '=',
      field('value', $._value),
    ),

    _value: $ => choice($.string, $.number, $.boolean, $.reference, $.identifier, $.list),

    list: $ => seq('[', optional(seq($._value, repeat(seq(',', $._value)), optional(','))), ']'),

    // `env.NAME`, `secret.NAME`, `plugin.root`
    reference: $ => seq(field('namespace', $.identifier), token.immediate('.'), field('name', alias(token.immediate(/[A-Za-z_][A-Za-z0-9_]*/), $.identifier))),

    boolean: _ => choice('true', 'false'),

    // Digits, optionally with a unit: `20`, `500ms`, `2m`.
    number: _ => /[0-9]+[A-Za-z]*/,

    string: $ => seq(
      '"',
      repeat(choice($.string_content, $.escape_sequence, $.interpolation)),
      token.immediate('"'),
    ),

    string_content: _ => token.immediate(prec(1, /[^"\\$]+/)),

    escape_sequence: _ => token.immediate(/\\(u\{[0-9A-Fa-f]+\}|.)/),

    // `${env.NAME}`, `${env.NAME:-default}`, `${secret.NAME}`, `${plugin.root}`
    interpolation: _ => token.immediate(seq('${', /[^}]*/, '}')),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_-]*/,

    comment: _ => token(choice(
      seq('//', /[^\n]*/),
      seq('/*', /[^*]*\*+([^/*][^*]*\*+)*/, '/'),
    )),
  },
});
