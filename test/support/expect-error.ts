import { expect } from 'chai';
import { PlugboardError } from '../../src/container/index.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `fn`, expects it to throw an instance of `cls` with `code`, and a message containing
 * every one of `parts`. Returns the error for further checks.
 */
export function expectError<E extends Error>(fn: () => unknown, cls: ErrorClass, code: string, ...parts: string[]): E {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkError<E>(caught, cls, code, parts);
}

/** The async version of {@link expectError}. */
export async function expectRejection<E extends Error>(p: Promise<unknown>, cls: ErrorClass, code: string, ...parts: string[]): Promise<E> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  return checkError<E>(caught, cls, code, parts);
}

function checkError<E extends Error>(caught: unknown, cls: ErrorClass, code: string, parts: string[]): E {
  expect(caught, 'expected an error to be thrown').to.not.equal(undefined);
  expect(caught).to.be.instanceOf(cls);
  expect(caught).to.be.instanceOf(PlugboardError);
  expect((caught as { code?: string }).code).to.equal(code);
  for (const part of parts) expect((caught as Error).message).to.include(part);
  return caught as E;
}
