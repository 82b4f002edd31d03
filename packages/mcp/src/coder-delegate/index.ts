/** The default coder delegate of `delegate_code` and its winner selection. */
export {
  type DefaultCoderDelegate,
  type DefaultCoderDelegateOptions,
  type DefaultCoderDelegateOutput,
  NoCoderCandidateError,
  createDefaultCoderDelegate,
} from './create-coder-delegate.js'
export {
  type CoderReview,
  type CoderReviewContext,
  type CoderReviewer,
  type CoderReviewRecommendation,
  type CoderSelection,
  type CoderWinnerSelection,
  type RejectedCoderCandidate,
  CODER_WINNER_SELECTIONS,
  coderReviewSchema,
  selectCoderWinner,
} from './selection.js'
