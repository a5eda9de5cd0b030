import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReferences, ConditionError, matchIdentifiers, parseCondition } from './condition.js';
import type { Condition } from './types.js';

/** A compact rendering: (a and b), (a or b), not a, 1 of sel*, all of them. */
function show(c: Condition): string {
  switch (c.op) {
    case 'and': case 'or': return `(${c.args.map(show).join(` ${c.op} `)})`;
    case 'not': return `not ${show(c.arg)}`;
    case 'ref': return c.name;
    case 'of': return `${c.quantifier} of ${c.pattern}`;
  }
}

function fails(text: string, column: number, message: RegExp): void {
  assert.throws(() => parseCondition(text), (e: unknown) => {
    assert.ok(e instanceof ConditionError, `expected a ConditionError for ${JSON.stringify(text)}`);
    assert.equal(e.column, column, `column for ${JSON.stringify(text)}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

test('precedence: not binds tighter than and, and tighter than or', () => {
  assert.equal(show(parseCondition('a or b and not c')), '(a or (b and not c))');
  assert.equal(show(parseCondition('not a and b')), '(not a and b)');
  assert.equal(show(parseCondition('a and b or c and d')), '((a and b) or (c and d))');
  assert.equal(show(parseCondition('a or b or c')), '(a or b or c)');
  assert.equal(show(parseCondition('not not a')), 'not not a');
});

test('parentheses override precedence and may nest', () => {
  assert.equal(show(parseCondition('selection1 and (keywords1 or keywords2)')), '(selection1 and (keywords1 or keywords2))');
  assert.equal(show(parseCondition('((a))')), 'a');
  assert.equal(show(parseCondition('not (a or b)')), 'not (a or b)');
  assert.equal(show(parseCondition('(a or b)and(c)')), '((a or b) and c)');
});

test('x of forms from the specification', () => {
  assert.equal(show(parseCondition('1 of selection* and keywords')), '(1 of selection* and keywords)');
  assert.equal(show(parseCondition('1 of selection* and not 1 of filter*')), '(1 of selection* and not 1 of filter*)');
  assert.equal(show(parseCondition('all of them')), 'all of them');
  assert.equal(show(parseCondition('1 of them')), '1 of them');
  assert.equal(show(parseCondition('3 of sel_*')), '3 of sel_*');
  assert.equal(show(parseCondition('any of sel_*')), '1 of sel_*', '"any of" is "1 of"');
  assert.equal(show(parseCondition('all of selection')), 'all of selection');
});

test('keywords are case-insensitive, identifiers are not', () => {
  assert.equal(show(parseCondition('Sel AND NOT Filter OR All Of Them')), '((Sel and not Filter) or all of them)');
  assert.deepEqual(parseCondition('1 OF sel_*'), { op: 'of', quantifier: 1, pattern: 'sel_*' });
});

test('errors name the column of the problem', () => {
  fails('', 1, /condition is empty/);
  fails('selection and', 14, /found the end of the condition/);
  fails('selection filter', 11, /unexpected "filter" \(a missing "and" or "or"\?\)/);
  fails('(a or b', 8, /expected "\)" to close the "\(" at column 1/);
  fails('a and )', 7, /expected a search identifier.*found "\)"/);
  fails('sel_*', 1, /has a wildcard; patterns need a count/);
  fails('1 of', 5, /expected "them" or a search identifier pattern after "1 of"/);
  fails('0 of them', 1, /can never match/);
  fails('all selection', 1, /"all" must be followed by "of"/);
  fails('a and 2 selection', 9, /expected "of" after "2"/);
  fails('selection | count() > 5', 11, /Sigma 1 aggregation.*correlation rule/);
  fails('a and or b', 7, /found the keyword "or"/);
});

test('them excludes identifiers starting with _; patterns use * anywhere', () => {
  const ids = ['selection', 'sel_img', 'sel_cli', '_aux', 'filter_main', 'filter_optional_x'];
  assert.deepEqual(matchIdentifiers('them', ids), ['selection', 'sel_img', 'sel_cli', 'filter_main', 'filter_optional_x']);
  assert.deepEqual(matchIdentifiers('sel*', ids), ['selection', 'sel_img', 'sel_cli']);
  assert.deepEqual(matchIdentifiers('*_main', ids), ['filter_main']);
  assert.deepEqual(matchIdentifiers('filter_*_x', ids), ['filter_optional_x']);
  assert.deepEqual(matchIdentifiers('_*', ids), ['_aux']);
  assert.deepEqual(matchIdentifiers('selection', ids), ['selection']);
});

test('references to missing searches are errors with their column', () => {
  const ids = ['selection', 'filter_a'];
  assert.deepEqual(checkReferences(parseCondition('selection and not filter'), ids), [
    { message: 'the condition uses "filter", which the detection does not define (it defines selection, filter_a)', column: 19 },
  ]);
  assert.deepEqual(checkReferences(parseCondition('selection and not 1 of filter_*'), ids), []);
  const [miss] = checkReferences(parseCondition('selection and 1 of keyword*'), ids);
  assert.equal(miss!.column, 15);
  assert.match(miss!.message, /the pattern "keyword\*" matches no search/);
  const [tooMany] = checkReferences(parseCondition('3 of them'), ids);
  assert.match(tooMany!.message, /"3 of them" can never match: only 2 searches match \(selection, filter_a\)/);
  assert.match(checkReferences(parseCondition('1 of them'), ['_only'])[0]!.message, /"them" \(every search not starting with _\) matches no search/);
});
