/** The outcome of one reliability scenario: reported pass or fail, never asserted, so one failure hides no other. */
export interface ScenarioVerdict {
  name: string;
  passed: boolean;
  detail: string;
}
