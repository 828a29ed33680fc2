/**
 * Jest `setupFiles` of the engine tests (jest.config.js, project "engine"): runs in each engine test file's
 * sandbox before the file and any of its imports, so no import order matters. Each test file gets its own
 * throw-away N8N_USER_FOLDER; a suite removes it in its afterAll with removeUserFolder() (./user-folder).
 */
import { useThrowAwayUserFolder } from './user-folder';

useThrowAwayUserFolder();
