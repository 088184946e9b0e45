import { installMocks } from "./mocks";

// One mock setup for the whole suite, installed before any spec imports the program.
export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await installMocks();
    },
};
