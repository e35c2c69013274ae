// The rule for a password a user is given or chooses, as the server's NewPasswordSchema has it
// and the fields' hints say ("At least 12 characters."): checked at the field before sending.
export const PASSWORD_MIN_LENGTH = 12;

/** What is wrong with a new password, in the words of the server's refusal, or null. */
export function passwordProblem(password: string): string | null {
  return password.length < PASSWORD_MIN_LENGTH
    ? `Use at least ${PASSWORD_MIN_LENGTH} characters.`
    : null;
}
